import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'
import { startHttpServer } from '../helpers/http.ts'
import { expectNoUnhandledRejections, startFakeUpstream } from '../helpers/fake-upstream.ts'

// Service-to-service auth through the real google-auth-library, against a
// fake metadata server on loopback. The loopback guard would make any probe
// of 169.254.169.254 or metadata.google.internal fail these tests.

const AUDIENCE = 'https://orders-abc123-uc.a.run.app'

function fakeJwt (claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`
}

interface MetadataRequest { path: string, audience: string | null, format: string | null, flavor: string | undefined }

/**
 * Serves /computeMetadata/v1/instance/service-accounts/default/identity like
 * the metadata server, records what was asked, and points google-auth-library
 * at itself through GCE_METADATA_HOST (the library reads process.env).
 */
async function startFakeMetadataServer ({ status = 200, expiresInS = 3_600, delayMs = 0 } = {}) {
  const requests: MetadataRequest[] = []
  const tokens: string[] = []
  const { port } = await startHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://metadata')
    requests.push({ path: url.pathname, audience: url.searchParams.get('audience'), format: url.searchParams.get('format'), flavor: request.headers['metadata-flavor'] as string | undefined })
    const token = fakeJwt({ aud: url.searchParams.get('audience'), exp: Math.floor(Date.now() / 1_000) + expiresInS, n: requests.length })
    tokens.push(token)
    setTimeout(() => {
      response.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': 'application/text' }).end(status === 200 ? token : 'nope')
    }, delayMs)
  })
  const host = `127.0.0.1:${port}`
  vi.stubEnv('GCE_METADATA_HOST', host)
  onTestFinished(() => { vi.unstubAllEnvs() })
  return { host, requests, tokens }
}

describe('service-to-service auth with Google ID tokens', () => {
  it('when UPSTREAM_AUDIENCE is set, then the token is requested once for that audience, cached, and sent as a Bearer token on every call', async () => {
    expectNoUnhandledRejections()
    const metadata = await startFakeMetadataServer()
    const upstream = await startFakeUpstream([{ status: 200, body: { ok: true } }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_AUDIENCE: AUDIENCE, GCE_METADATA_HOST: metadata.host })
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/upstream' })).body).toBe('{"upstream":{"ok":true}}')
    expect(metadata.requests).toStrictEqual([{ path: '/computeMetadata/v1/instance/service-accounts/default/identity', audience: AUDIENCE, format: 'full', flavor: 'Google' }])
    const token = metadata.tokens[0]
    expect(upstream.requests.map((request) => request.headers.authorization)).toStrictEqual([`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`])
    expect(logs.text()).not.toContain(String(token))
  })

  it('when many calls arrive before the first token, then they share one metadata request', async () => {
    expectNoUnhandledRejections()
    const metadata = await startFakeMetadataServer({ delayMs: 100 })
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_AUDIENCE: AUDIENCE, GCE_METADATA_HOST: metadata.host })
    const responses = await Promise.all([1, 2, 3, 4].map(() => app.inject({ method: 'GET', url: '/upstream' })))
    expect(responses.map((response) => response.statusCode)).toStrictEqual([200, 200, 200, 200])
    expect(metadata.requests).toHaveLength(1)
    expect(new Set(upstream.requests.map((request) => request.headers.authorization))).toStrictEqual(new Set([`Bearer ${metadata.tokens[0]}`]))
  })

  it('when the cached token is within 5 minutes of expiry, then the next call fetches a new one', async () => {
    const metadata = await startFakeMetadataServer({ expiresInS: 120 })
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_AUDIENCE: AUDIENCE, GCE_METADATA_HOST: metadata.host })
    await app.inject({ method: 'GET', url: '/upstream' })
    await app.inject({ method: 'GET', url: '/upstream' })
    expect(metadata.requests).toHaveLength(2)
    expect(upstream.requests.map((request) => request.headers.authorization)).toStrictEqual(metadata.tokens.map((token) => `Bearer ${token}`))
  })

  it('when the metadata server refuses the token, then the client gets 502, the upstream gets no request, and the next call asks again', async () => {
    expectNoUnhandledRejections()
    const metadata = await startFakeMetadataServer({ status: 404 })
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_AUDIENCE: AUDIENCE, GCE_METADATA_HOST: metadata.host })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.body).toBe('{"code":"SVC_UPSTREAM_UNAVAILABLE","message":"An upstream service is unavailable"}')
    expect(upstream.requests).toHaveLength(0)
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_UNAVAILABLE')).toMatchObject({
      severity: 'WARNING', message: 'Could not get an ID token to call upstream', err: { details: { dependency: 'upstream', reason: 'id_token' } },
    })
    await app.inject({ method: 'GET', url: '/upstream' })
    expect(metadata.requests).toHaveLength(2)
  })

  it('when the metadata server is slower than UPSTREAM_DEADLINE_MS, then the client gets 504 at the deadline and the upstream gets no request', async () => {
    expectNoUnhandledRejections()
    const metadata = await startFakeMetadataServer({ delayMs: 2_500 })
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_AUDIENCE: AUDIENCE, GCE_METADATA_HOST: metadata.host, UPSTREAM_DEADLINE_MS: '300' })
    const startedAt = performance.now()
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(performance.now() - startedAt).toBeLessThan(2_000) // well before the token would have come
    expect(response.statusCode).toBe(504)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_TIMEOUT' })
    expect(upstream.requests).toHaveLength(0)
  })

  it('when UPSTREAM_AUDIENCE is unset, then no token is requested and none is sent', async () => {
    const metadata = await startFakeMetadataServer()
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, GCE_METADATA_HOST: metadata.host })
    expect((await app.inject({ method: 'GET', url: '/upstream' })).statusCode).toBe(200)
    expect(metadata.requests).toHaveLength(0)
    expect(upstream.requests[0]?.headers.authorization).toBeUndefined()
  })
})
