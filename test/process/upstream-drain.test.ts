import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { startServerProcess } from '../helpers/spawn-server.ts'
import { startFakeUpstream } from '../helpers/fake-upstream.ts'

function get (port: number, path: string): Promise<{ status: number, body: string, headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }))
    }).on('error', reject)
  })
}

async function waitFor (condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('the server process with an upstream', () => {
  it('when SIGTERM arrives while /upstream waits on a slow upstream, then the response completes with 200 and the process exits 0', async () => {
    const upstream = await startFakeUpstream([{ status: 200, body: { slow: true }, delayMs: 1_500 }])
    const server = await startServerProcess({
      LOG_REQUESTS: 'true',
      UPSTREAM_URL: `${upstream.url}/slow`,
      UPSTREAM_TIMEOUT_MS: '5000',
      UPSTREAM_DEADLINE_MS: '6000',
      DRAIN_TIMEOUT_MS: '9000',
    })
    let answered = false
    const inFlight = get(server.port, '/upstream').finally(() => { answered = true })
    await waitFor(() => upstream.requests.length === 1 || answered)
    // Answered before the upstream even saw the request: show what came back.
    if (answered) expect({ ...(await inFlight), logs: server.logs() }).toBe('still in flight')
    server.child.kill('SIGTERM')
    await server.waitForLog((line) => line.message === 'Shutting down: draining in-flight requests')

    const response = await inFlight
    expect(response.status).toBe(200)
    expect(response.body).toBe('{"upstream":{"slow":true}}')
    expect(response.headers.connection).toBe('close')
    expect(await server.exited).toBe(0)
    expect(upstream.requests).toHaveLength(1)
    const messages = server.logs().map((line) => line.message)
    expect(messages.slice(-3)).toStrictEqual(['Shutting down: draining in-flight requests', 'GET /upstream 200', 'Shutdown complete'])
    // No unhandled rejection or other fatal error on the way out.
    expect(server.logs().filter((line) => line.severity === 'CRITICAL' || line.severity === 'ERROR')).toStrictEqual([])
    expect(server.stderr()).toBe('')
  })
})
