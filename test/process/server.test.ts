import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { spawnServer, startServerProcess } from '../helpers/spawn-server.ts'

const SLOW_SERVER = 'test/fixtures/server-with-slow-route.ts'

function get (port: number, path: string, agent?: http.Agent): Promise<{ status: number, body: string, headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }))
    }).on('error', reject)
  })
}

describe('the server process', () => {
  it('when started, then it runs on Node 24 and says so in its ready line', async () => {
    expect(process.versions.node.split('.')[0]).toBe('24')
    const server = await startServerProcess()
    const ready = server.logs().find((line) => line.message === 'hello-cloud-run ready')
    expect(ready).toMatchObject({ severity: 'INFO', node: expect.stringMatching(/^v24\./) })
  })

  it('when PORT is set, then it listens there and serves the greeting', async () => {
    const probe = await startServerProcess() // find a port that is free right now
    const port = probe.port
    probe.child.kill('SIGKILL')
    await probe.exited
    const server = await startServerProcess({ PORT: String(port) })
    expect(server.port).toBe(port)
    const response = await get(port, '/')
    expect(response.status).toBe(200)
    expect(response.body).toMatch(/^Hello from Cloud Run! Host: .+, Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/)
  })

  it('when PORT is invalid, then it exits 1 before listening with one structured CRITICAL line naming PORT', async () => {
    const server = spawnServer({ PORT: 'abc' })
    expect(await server.exited).toBe(1)
    expect(server.logs()).toStrictEqual([{
      severity: 'CRITICAL',
      timestamp: expect.any(String),
      code: 'SVC_CONFIG_INVALID',
      problems: [{ variable: 'PORT', reason: 'must be a whole number, got "abc"' }],
      message: 'Invalid configuration: PORT must be a whole number, got "abc"',
    }])
    expect(server.stderr()).toBe('')
  })

  it('when SIGTERM arrives while a keep-alive connection sits idle, then the process exits 0 promptly', async () => {
    const server = await startServerProcess({ DRAIN_TIMEOUT_MS: '9000' })
    const agent = new http.Agent({ keepAlive: true })
    const response = await get(server.port, '/health', agent)
    expect(response.headers.connection).toBe('keep-alive')
    const sentAt = performance.now()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    // Well under the 9 s drain deadline: the idle connection did not hold the process up.
    expect(performance.now() - sentAt).toBeLessThan(5_000)
    expect(server.logs().at(-1)).toMatchObject({ severity: 'INFO', message: 'Shutdown complete', exitCode: 0 })
    agent.destroy()
  })

  it('when SIGTERM arrives while a request is in flight, then the request completes with 200 and the exit code is 0', async () => {
    const server = await startServerProcess({ LOG_REQUESTS: 'true', DRAIN_TIMEOUT_MS: '9000' }, SLOW_SERVER)
    const inFlight = get(server.port, '/slow?afterDrainMs=300')
    await server.waitForLog((line) => line.message === 'slow request started')
    server.child.kill('SIGTERM')
    await server.waitForLog((line) => line.message === 'Shutting down: draining in-flight requests')
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(response.body).toBe('{"sleptAfterDrainMs":300}')
    expect(response.headers.connection).toBe('close')
    expect(await server.exited).toBe(0)
    const messages = server.logs().map((line) => line.message)
    expect(messages.slice(-3)).toStrictEqual(['Shutting down: draining in-flight requests', 'GET /slow?afterDrainMs=300 200', 'Shutdown complete'])
  })

  it('when SIGTERM arrives while draining, then new connections are refused while the in-flight request still completes', async () => {
    const server = await startServerProcess({ DRAIN_TIMEOUT_MS: '9000' }, SLOW_SERVER)
    let inFlightDone = false
    const inFlight = get(server.port, '/slow?afterDrainMs=3000').finally(() => { inFlightDone = true })
    await server.waitForLog((line) => line.message === 'slow request started')
    server.child.kill('SIGTERM')
    await server.waitForLog((line) => line.message === 'Shutting down: draining in-flight requests')
    // The drain log line comes just before the listener closes; a connection
    // that wins that race is reset, so try until the port refuses.
    let lastError: unknown
    for (let attempt = 0; attempt < 40; attempt++) {
      lastError = await get(server.port, '/').then(() => undefined, (error: unknown) => error)
      if ((lastError as { code?: string } | undefined)?.code === 'ECONNREFUSED') break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(lastError).toMatchObject({ code: 'ECONNREFUSED' })
    expect(inFlightDone).toBe(false)
    expect((await inFlight).status).toBe(200)
    expect(await server.exited).toBe(0)
  })

  it('when the drain deadline passes, then the process exits 1 at once', async () => {
    const server = await startServerProcess({ DRAIN_TIMEOUT_MS: '300' }, SLOW_SERVER)
    get(server.port, '/slow?ms=5000').catch(() => {})
    await server.waitForLog((line) => line.message === 'slow request started')
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(1)
    expect(server.logs().at(-1)).toMatchObject({ severity: 'ERROR', message: 'Drain deadline passed with requests still in flight; exiting now', drainTimeoutMs: 300 })
  })

  it('when a second signal arrives during the drain, then the process exits at once, non-zero', async () => {
    const server = await startServerProcess({ DRAIN_TIMEOUT_MS: '9000' }, SLOW_SERVER)
    get(server.port, '/slow?ms=5000').catch(() => {})
    await server.waitForLog((line) => line.message === 'slow request started')
    server.child.kill('SIGTERM')
    await server.waitForLog((line) => line.message === 'Shutting down: draining in-flight requests')
    server.child.kill('SIGINT')
    expect(await server.exited).toBe(130)
    expect(server.logs().at(-1)).toMatchObject({ severity: 'WARNING', message: 'Second signal during drain; exiting now', signal: 'SIGINT' })
  })

  it.each([
    ['exception', 'uncaughtException', 'planted exception'],
    ['rejection', 'unhandledRejection', 'planted rejection'],
  ])('when an uncaught %s happens, then it is logged CRITICAL with its stack and the process drains and exits 1', async (kind, origin, text) => {
    const server = await startServerProcess({}, SLOW_SERVER)
    const response = await get(server.port, `/crash?kind=${kind}`)
    expect(response.status).toBe(200)
    expect(await server.exited).toBe(1)
    const critical = server.logs().find((line) => line.severity === 'CRITICAL')
    expect(critical).toMatchObject({ message: `Fatal ${origin}; shutting down`, origin, err: { message: text } })
    expect(critical?.stack_trace).toMatch(new RegExp(String.raw`^Error: ${text}\n\s+at `))
    expect(server.logs().at(-1)).toMatchObject({ message: 'Shutdown complete', exitCode: 1 })
  })

  it('when a request hits a bug, then the client gets 500, the bug is logged ERROR with its stack, and the process keeps serving', async () => {
    const server = await startServerProcess({}, SLOW_SERVER)
    const response = await get(server.port, '/bug')
    expect(response.status).toBe(500)
    expect(response.body).toBe('{"code":"SVC_INTERNAL","message":"Internal server error"}')
    const bug = await server.waitForLog((line) => line.severity === 'ERROR' && line.code === 'SVC_INTERNAL')
    expect(bug.stack_trace).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'x'\)\n\s+at /)
    expect(bug.serviceContext).toStrictEqual({ service: 'hello-cloud-run', version: '0.1.0' })
    // A poison request costs one error response, never the instance.
    expect((await get(server.port, '/')).status).toBe(200)
    expect(server.child.exitCode).toBeNull()
    expect(server.logs().filter((line) => line.severity === 'CRITICAL')).toStrictEqual([])
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })
})
