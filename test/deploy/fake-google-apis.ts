import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'
import { createKnativeStore } from './fake-knative.ts'

// A local stand-in for the Google APIs the deploy scripts reach through the
// real gcloud CLI. Each API gets its own host name (iam.fake.test, …), all
// resolving to 127.0.0.1 through the test's private /etc/hosts, so the fake
// routes by Host header exactly as Google's front end does. It records every
// request and keeps just enough state for gcloud's check-then-create flows.

export interface RecordedRequest {
  method: string
  /** API name: the first label of the Host, without gcloud's region prefix. */
  api: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: unknown
}

export interface Policy { bindings?: Array<{ role: string, members: string[] }>, etag?: string, version?: number }

export interface FakeGoogleApis {
  port: number
  requests: RecordedRequest[]
  /** Enabled API names, e.g. run.googleapis.com. */
  enabledApis: Set<string>
  /** IAM policies by resource path, e.g. projects/p or projects/p/secrets/s. */
  policies: Map<string, Policy>
  knative: ReturnType<typeof createKnativeStore>
  /** Requests that change something (create, replace, setIamPolicy, enable). */
  mutations: () => RecordedRequest[]
}

const API_HOSTS = ['serviceusage', 'run', 'artifactregistry', 'iam', 'iamcredentials', 'cloudresourcemanager',
  'secretmanager', 'logging', 'monitoring'] as const

export const FAKE_DOMAIN = 'fake.test'
export function fakeHostNames (region: string): string[] {
  return [...API_HOSTS.map((api) => `${api}.${FAKE_DOMAIN}`), `${region}-run.${FAKE_DOMAIN}`]
}

type Handler = (req: RecordedRequest) => [number, unknown]

export async function startFakeGoogleApis ({ project, region }: { project: string, region: string }): Promise<FakeGoogleApis> {
  const requests: RecordedRequest[] = []
  const enabledApis = new Set<string>()
  const policies = new Map<string, Policy>()
  const resources = new Map<string, Record<string, unknown>>()
  let baseUrl = ''
  const knative = createKnativeStore({ project, region, serviceUrl: (tag) => `${baseUrl}/__run/${tag}` })

  const notFound = (what: string): [number, unknown] => [404, { error: { code: 404, message: `${what} not found`, status: 'NOT_FOUND' } }]
  const done = (response: unknown): [number, unknown] => [200, { name: 'operations/fake-op', done: true, response }]
  // Generic get/create of named resources, keyed by their REST path.
  const getResource = (path: string): [number, unknown] => {
    const found = resources.get(path)
    return found === undefined ? notFound(path) : [200, found]
  }
  const putResource = (path: string, value: Record<string, unknown>) => { resources.set(path, value); return value }

  const handlers: Record<string, Handler> = {
    serviceusage (req) {
      const one = req.path.match(/^\/v1\/projects\/[^/]+\/services\/([^/:]+)$/)
      if (req.method === 'GET' && one?.[1] !== undefined) {
        const name = one[1]
        return [200, { name: `projects/123/services/${name}`, config: { name }, state: enabledApis.has(name) ? 'ENABLED' : 'DISABLED' }]
      }
      if (req.method === 'GET' && req.path.endsWith('/services')) {
        return [200, { services: [...enabledApis].map((name) => ({ name: `projects/123/services/${name}`, config: { name }, state: 'ENABLED' })) }]
      }
      if (req.path.endsWith('/services:batchEnable')) {
        for (const name of (req.body as { serviceIds: string[] }).serviceIds) enabledApis.add(name)
        return done({})
      }
      return notFound(req.path)
    },
    run (req) {
      if (req.path.endsWith(':testIamPermissions')) return [200, req.body]
      return knative.handle(req) ?? notFound(req.path)
    },
    artifactregistry (req) {
      const collection = req.path.match(/^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/repositories)$/)
      if (req.method === 'POST' && collection?.[1] !== undefined) {
        const name = `${collection[1]}/${req.query.get('repositoryId') ?? ''}`
        return [200, { name: `${collection[1].replace(/repositories$/, 'operations')}/create-${req.query.get('repositoryId') ?? ''}`, done: true, response: putResource(name, { ...(req.body as object), name }) }]
      }
      return getResource(req.path.slice('/v1/'.length))
    },
    iam (req) {
      const collection = req.path.match(/^\/v1\/projects\/([^/]+)\/serviceAccounts$/)
      if (req.method === 'POST' && collection?.[1] !== undefined) {
        const { accountId, serviceAccount } = req.body as { accountId: string, serviceAccount: object }
        const email = `${accountId}@${collection[1]}.iam.gserviceaccount.com`
        return [200, putResource(`projects/${collection[1]}/serviceAccounts/${email}`, { ...serviceAccount, email, name: `projects/${collection[1]}/serviceAccounts/${email}` })]
      }
      return getResource(req.path.slice('/v1/'.length))
    },
    iamcredentials (req) {
      if (req.path.endsWith(':generateAccessToken')) return [200, { accessToken: 'fake-impersonated-access-token', expireTime: '2099-01-01T00:00:00Z' }]
      if (req.path.endsWith(':generateIdToken')) return [200, { token: fakeIdToken((req.body as { audience: string }).audience) }]
      return notFound(req.path)
    },
    cloudresourcemanager: () => [404, {}], // only IAM policies, handled below
    secretmanager (req) {
      const collection = req.path.match(/^\/v1\/(projects\/[^/]+\/secrets)$/)
      if (req.method === 'POST' && collection?.[1] !== undefined) {
        const name = `${collection[1]}/${req.query.get('secretId') ?? ''}`
        return [200, putResource(name, { ...(req.body as object), name, createTime: '2026-01-01T00:00:00Z' })]
      }
      return getResource(req.path.slice('/v1/'.length))
    },
    logging (req) {
      const collection = req.path.match(/^\/v2\/(projects\/[^/]+\/metrics)$/)
      if (req.method === 'POST' && collection?.[1] !== undefined) {
        const body = req.body as { name: string }
        return [200, putResource(`${collection[1]}/${body.name}`, { ...body })]
      }
      return getResource(req.path.slice('/v2/'.length))
    },
    monitoring (req) {
      const collection = req.path.match(/^\/v[13]\/(projects\/[^/]+\/(alertPolicies|dashboards))$/)
      if (collection?.[1] === undefined) return getResource(req.path)
      const kind = collection[2] as string
      const existing = [...resources.entries()].filter(([path]) => path.startsWith(`${collection[1]}/`)).map(([, value]) => value)
      if (req.method === 'GET') return [200, { [kind]: existing }]
      const name = `${collection[1]}/${existing.length + 1}`
      return [200, putResource(name, { ...(req.body as object), name })]
    },
  }

  const iamPolicy = (req: RecordedRequest): [number, unknown] | undefined => {
    const match = req.path.match(/^\/v\d+\/(.+):(get|set)IamPolicy$/)
    if (match?.[1] === undefined) return undefined
    const resource = match[1]
    if (match[2] === 'set') policies.set(resource, { ...(req.body as { policy: Policy }).policy, etag: 'BwYfake=' })
    return [200, policies.get(resource) ?? { version: 1, etag: 'ACAB' }]
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      // IAM accepts "projects/-" for a service account's project; store one name.
      const url = new URL((request.url ?? '/').replace('/projects/-/serviceAccounts/', `/projects/${project}/serviceAccounts/`), 'http://fake')
      const text = Buffer.concat(chunks).toString('utf8')
      const host = (request.headers.host ?? '').split(':')[0] ?? ''
      const label = host.split('.')[0] ?? ''
      const api = label.endsWith('-run') ? 'run' : label
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        api,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: text === '' ? undefined : JSON.parse(text),
      }
      requests.push(recorded)
      if (url.pathname.startsWith('/__run/')) {
        // The deployed service itself, as the smoke test's curl reaches it.
        const body = url.pathname.endsWith('/ready') ? '{"status":"ready"}' : 'Hello from Cloud Run! Host: fake, Time: 2026-01-01 00:00:00'
        response.writeHead(200, { 'content-type': 'text/plain' }).end(body)
        return
      }
      const handler = handlers[api]
      const [status, body] = iamPolicy(recorded) ?? handler?.(recorded) ?? notFound(`API ${api}`)
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  baseUrl = `http://127.0.0.1:${port}`
  onTestFinished(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))

  const mutations = () => requests.filter((r) => r.method !== 'GET' && !/:(getIamPolicy|testIamPermissions|generateAccessToken|generateIdToken)$/.test(r.path))
  return { port, requests, enabledApis, policies, knative, mutations }
}

// An unsigned JWT-shaped token: the fake service never verifies it, the test
// only checks that the smoke test sent the token gcloud handed out.
function fakeIdToken (audience: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ aud: audience, email: 'invoker@fake', exp: 4102444800, iat: 1767225600 })}.c2ln`
}
