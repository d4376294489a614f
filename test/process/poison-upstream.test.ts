import { describe, expect, it } from 'vitest'
import { startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.ts'
import { startServerProcess, type ServerProcess } from '../helpers/spawn-server.ts'
import { builtServer } from '../helpers/built-server.ts'

// Upstream bodies that once ended the process, or leaked into the log, sent
// to the built server through GET /upstream. Whatever an upstream answers, it
// costs at most one error response, never the instance.

const KEY = 'PLANTED-s3cr3t-upstream-key-0123456789'
const BREAKER = { UPSTREAM_RETRIES: '0', BREAKER_VOLUME_THRESHOLD: '3', BREAKER_ERROR_THRESHOLD_PERCENTAGE: '50' }

async function serverBehind (script: Behaviour[]): Promise<ServerProcess & { port: number }> {
  const upstream = await startFakeUpstream(script)
  return startServerProcess({ UPSTREAM_URL: upstream.url, UPSTREAM_API_KEY: KEY, ...BREAKER }, builtServer())
}

async function get (port: number, path: string): Promise<{ status: number, body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: response.status, body: await response.text() }
}

/** The process is alive, serves, and exits cleanly: nothing it was sent broke it. */
async function expectStillServing (server: ServerProcess & { port: number }): Promise<void> {
  expect((await get(server.port, '/')).status).toBe(200)
  expect(server.child.exitCode).toBeNull()
  server.child.kill('SIGTERM')
  expect(await server.exited).toBe(0)
  expect(server.logs().filter((line) => line.severity === 'CRITICAL')).toStrictEqual([])
}

describe('poison upstream bodies', () => {
  it('when a 2xx body nests arrays 5,000 deep, then it is passed on byte for byte and the process keeps serving', async () => {
    const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`
    const server = await serverBehind([{ status: 200, body: nested }])
    expect(await get(server.port, '/upstream')).toStrictEqual({ status: 200, body: `{"upstream":${nested}}` })
    await expectStillServing(server)
  })

  it('when a 2xx body holds numbers no double can hold, then they are passed on digit for digit', async () => {
    const body = '{"big":123456789012345678901234567890123456789,"huge":1e999999,"tiny":-1e-999999}'
    const server = await serverBehind([{ status: 200, body }])
    expect(await get(server.port, '/upstream')).toStrictEqual({ status: 200, body: `{"upstream":${body}}` })
    await expectStillServing(server)
  })

  it.each([
    ['text echoing the key under a JSON content type', KEY],
    ['an HTML error page', `<html><body>oops ${KEY}</body></html>`],
    ['truncated JSON', `{"key":"${KEY}","items":[1,2`],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from(`{"key":"${KEY}","x":"`), Buffer.from([0xC3, 0x28, 0xFF]), Buffer.from('"}')])],
  ])('when a 2xx body is %s, then the client gets 502, the breaker counts it, and no log line holds any of the body', async (_kind, body) => {
    const server = await serverBehind([{ status: 200, body }])
    const badResponse = { status: 502, body: '{"code":"SVC_UPSTREAM_BAD_RESPONSE","message":"An upstream service gave an unusable response"}' }
    expect(await get(server.port, '/upstream')).toStrictEqual(badResponse)
    expect(await get(server.port, '/upstream')).toStrictEqual(badResponse)
    expect(await get(server.port, '/upstream')).toStrictEqual(badResponse)
    // Three failures of three calls: the breaker has opened, as it would for 5xx.
    expect((await get(server.port, '/upstream')).status).toBe(503)
    await server.waitForLog((line) => line.event === 'breaker_state_change' && line.state === 'open')
    const failure = server.logs().find((line) => line.code === 'SVC_UPSTREAM_BAD_RESPONSE')
    expect(failure).toMatchObject({
      severity: 'WARNING',
      err: { details: { dependency: 'upstream', contentType: 'application/json', bytes: Buffer.byteLength(body) } },
    })
    await expectStillServing(server)
    // Not the key, not a prefix of it, not a word of the body.
    expect(server.stdout()).not.toMatch(/PLANTED|oops|items/)
  })
})
