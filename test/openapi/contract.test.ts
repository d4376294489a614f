import { describe, expect, it } from 'vitest'
import { builtServer } from '../helpers/built-server.ts'
import { startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.ts'
import { Contract } from '../helpers/openapi-contract.ts'
import { openConnection, rawExchange, type RawConnection, type RawResponse } from '../helpers/raw-connection.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

// openapi.json is a promise: every response the service really sends, to any
// request, is one the document describes, body and headers. The built server
// (the bundle the image runs) answers real requests on loopback; each answer
// is checked against the document with Ajv. The last test checks that, between
// them, the tests provoked every response the document declares, but those
// that only a bug can cause.

const contract = new Contract()
const SLOW_SERVER = 'test/fixtures/server-with-slow-route.ts'

interface Request {
  method: string
  target: string
  headers?: Record<string, string>
  body?: string
}

function bytesOf ({ method, target, headers = {}, body }: Request, connection = 'close'): string {
  const all: Record<string, string> = { host: '127.0.0.1', ...headers, connection }
  if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body))
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body ?? ''}`
}

/** Checks a response against the document; returns the status and where the document describes it, for the test to assert. */
function conforms (request: Request, response: RawResponse): { status: number, describedBy: string | undefined } {
  const { describedBy, violations } = contract.check({ method: request.method, target: request.target, ...response })
  expect(violations).toStrictEqual([])
  return { status: response.status, describedBy }
}

async function send (port: number, request: Request): Promise<{ status: number, describedBy: string | undefined }> {
  return conforms(request, await rawExchange(port, bytesOf(request)))
}

async function sendOn (connection: RawConnection, request: Request): Promise<{ status: number, describedBy: string | undefined }> {
  return conforms(request, await connection.exchange(bytesOf(request, 'keep-alive')))
}

/** An upstream whose answer the test sets before each request. */
async function scriptedUpstream () {
  let next: Behaviour = { status: 200, body: {} }
  const upstream = await startFakeUpstream(() => next)
  return { ...upstream, answer (behaviour: Behaviour) { next = behaviour } }
}

describe('the OpenAPI document, against the built server', () => {
  it('when the service runs with no upstream, then every answer of its routes, its error handler and its HTTP layer is one the document describes', async () => {
    const server = await startServerProcess({ BODY_LIMIT_BYTES: '1024' }, builtServer())
    const cases: Array<[Request, number, string]> = [
      [{ method: 'GET', target: '/' }, 200, 'GET / 200'],
      [{ method: 'GET', target: '/', headers: { accept: 'application/json' } }, 200, 'GET / 200'],
      [{ method: 'HEAD', target: '/' }, 200, 'HEAD / 200'],
      [{ method: 'GET', target: '/health' }, 200, 'GET /health 200'],
      [{ method: 'HEAD', target: '/health' }, 200, 'HEAD /health 200'],
      [{ method: 'GET', target: '/ready?probe=1' }, 200, 'GET /ready 200'],
      [{ method: 'HEAD', target: '/ready' }, 200, 'HEAD /ready 200'],
      [{ method: 'GET', target: '/upstream' }, 503, 'GET /upstream 503'],
      [{ method: 'HEAD', target: '/upstream' }, 503, 'HEAD /upstream 503'],
      [{ method: 'GET', target: '/healthz' }, 404, 'components.responses.RouteNotFound'],
      [{ method: 'HEAD', target: '/nowhere' }, 404, 'components.responses.RouteNotFound'],
      [{ method: 'POST', target: '/health' }, 405, 'components.responses.MethodNotAllowed'],
      [{ method: 'OPTIONS', target: '/' }, 405, 'components.responses.MethodNotAllowed'],
      [{ method: 'DELETE', target: '/upstream' }, 405, 'components.responses.MethodNotAllowed'],
      [{ method: 'POST', target: '/orders', headers: { 'content-type': 'application/json' }, body: `{"note":"${'x'.repeat(2_000)}"}` }, 413, 'components.responses.PayloadTooLarge'],
      [{ method: 'POST', target: '/orders', headers: { 'content-type': 'not a media type' }, body: '{}' }, 415, 'components.responses.UnsupportedMediaType'],
      [{ method: 'POST', target: '/health', headers: { 'content-type': 'application/json' }, body: '{"broken":' }, 400, 'components.responses.BadRequest'],
      [{ method: 'GET', target: '/%E0%A4%A' }, 400, 'components.responses.BadRequest'],
      [{ method: 'GET', target: '/health', headers: { host: 'a b' } }, 400, 'GET /health 400'],
      [{ method: 'GET', target: '/', headers: { 'x-big': 'a'.repeat(20_000) } }, 431, 'GET / 431'],
    ]
    for (const [request, status, describedBy] of cases) {
      expect({ request: `${request.method} ${request.target}`, ...await send(server.port, request) }).toStrictEqual({ request: `${request.method} ${request.target}`, status, describedBy })
    }
  })

  it('when a request\'s headers stall, then the 408 is the one the document describes', async () => {
    const server = await startServerProcess({}, builtServer())
    const connection = await openConnection(server.port)
    // The request line and one header, then nothing: Node's headers timeout (10 s) answers.
    const response = await connection.exchange('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'GET')
    expect(conforms({ method: 'GET', target: '/ready' }, response)).toStrictEqual({ status: 408, describedBy: 'GET /ready 408' })
  }, 30_000)

  it('when the upstream answers, fails, sends garbage or hangs, then each answer of /upstream is one the document describes', async () => {
    const upstream = await scriptedUpstream()
    const server = await startServerProcess({
      UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '0', UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_DEADLINE_MS: '1000', BREAKER_VOLUME_THRESHOLD: '10000',
    }, builtServer())
    const cases: Array<[Behaviour, string, number]> = [
      [{ status: 200, body: '{"orders":[1,2.50,{"id":"x"}],"next":null}' }, 'GET', 200],
      [{ status: 204 }, 'GET', 200],
      [{ status: 200, body: '[]' }, 'HEAD', 200],
      [{ status: 500 }, 'GET', 502],
      [{ status: 404, body: '{}' }, 'GET', 502],
      [{ status: 200, body: '<html>' }, 'GET', 502],
      ['reset', 'HEAD', 502],
      ['hang', 'GET', 504],
      ['hang', 'HEAD', 504],
    ]
    for (const [behaviour, method, status] of cases) {
      upstream.answer(behaviour)
      expect({ behaviour, ...await send(server.port, { method, target: '/upstream' }) }).toStrictEqual({ behaviour, status, describedBy: `${method} /upstream ${status}` })
    }
  })

  it('when the upstream\'s breaker is open, then the fast 503 with Retry-After is one the document describes', async () => {
    const upstream = await scriptedUpstream()
    upstream.answer({ status: 500 })
    const server = await startServerProcess({
      UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '0', BREAKER_VOLUME_THRESHOLD: '1', BREAKER_ERROR_THRESHOLD_PERCENTAGE: '50',
    }, builtServer())
    expect(await send(server.port, { method: 'GET', target: '/upstream' })).toStrictEqual({ status: 502, describedBy: 'GET /upstream 502' })
    for (const method of ['GET', 'HEAD']) {
      const request = { method, target: '/upstream' }
      const response = await rawExchange(server.port, bytesOf(request))
      expect(conforms(request, response)).toStrictEqual({ status: 503, describedBy: `${method} /upstream 503` })
      expect(response.headers['retry-after']).toMatch(/^\d+$/)
    }
    // The breaker failed both fast: the upstream saw only the first call.
    expect(upstream.requests).toHaveLength(1)
  })

  it('when SIGTERM starts the drain, then /ready\'s 503 on a kept-alive connection, and the in-flight request\'s answer, are ones the document describes', async () => {
    const upstream = await scriptedUpstream()
    upstream.answer({ status: 200, body: '{"slow":true}', delayMs: 1_500 })
    const server = await startServerProcess({ UPSTREAM_URL: upstream.url, DRAIN_TIMEOUT_MS: '9000' }, builtServer())
    // Kept alive from before the drain: new connections are refused once it starts.
    const connections = await Promise.all([openConnection(server.port), openConnection(server.port)])
    for (const connection of connections) expect(await sendOn(connection, { method: 'GET', target: '/health' })).toStrictEqual({ status: 200, describedBy: 'GET /health 200' })
    const inFlight = send(server.port, { method: 'GET', target: '/upstream' })
    while (upstream.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))

    server.child.kill('SIGTERM')
    await server.waitForLog((line) => line.message === 'Shutting down: draining in-flight requests')
    const [get, head] = connections as [RawConnection, RawConnection]
    expect(await sendOn(get, { method: 'GET', target: '/ready' })).toStrictEqual({ status: 503, describedBy: 'GET /ready 503' })
    expect(await sendOn(head, { method: 'HEAD', target: '/ready' })).toStrictEqual({ status: 503, describedBy: 'HEAD /ready 503' })
    expect(await inFlight).toStrictEqual({ status: 200, describedBy: 'GET /upstream 200' })
    expect(await server.exited).toBe(0)
  })

  it('when the event loop falls behind, then the shed 503s with Retry-After are ones the document describes', async () => {
    const server = await startServerProcess({ SHED_EVENT_LOOP_DELAY_MS: '1000' }, SLOW_SERVER)
    const blocking = rawExchange(server.port, bytesOf({ method: 'GET', target: '/block?ms=2500' }))
    await server.waitForLog((line) => line.message === 'blocking the event loop')
    // A request to every operation that load shedding guards (all but the probes), and where the document describes its 503.
    const shed: Array<[Request, string]> = [
      [{ method: 'GET', target: '/' }, 'GET / 503'],
      [{ method: 'HEAD', target: '/' }, 'HEAD / 503'],
      [{ method: 'GET', target: '/upstream' }, 'GET /upstream 503'],
      [{ method: 'HEAD', target: '/upstream' }, 'HEAD /upstream 503'],
    ]
    // Sent while the loop is blocked: they wait in the kernel and are read after it.
    const during = shed.map(([request]) => send(server.port, request))
    expect((await blocking).status).toBe(200)
    expect(await Promise.all(during)).toStrictEqual(shed.map(([, describedBy]) => ({ status: 503, describedBy })))
  })

  it('when a request hits a bug, then its 500 is the one every operation declares (only a bug answers 500, so no route of the document can show it)', async () => {
    const server = await startServerProcess({}, SLOW_SERVER)
    const response = await rawExchange(server.port, bytesOf({ method: 'GET', target: '/bug' }))
    expect(response.status).toBe(500)
    // Every GET operation declares it; each must accept this one.
    const gets = contract.operations().filter(({ method }) => method === 'get')
    expect(gets.filter(({ operation }) => operation.responses?.['500'] === undefined).map(({ name }) => name)).toStrictEqual([])
    expect(gets.length).toBeGreaterThan(0)
    for (const { path } of gets) {
      expect(contract.check({ method: 'GET', target: path, ...response }, { record: false }).violations).toStrictEqual([])
    }
  })

  it('when the tests above have run, then they have shown every response the document declares, but the 500s', () => {
    const unseen = contract.declaredResponses().filter(({ response }) => !contract.seen.has(response)).map(({ where }) => where)
    expect(unseen).toStrictEqual(contract.operations().map(({ name }) => `${name} 500`))
  })
})
