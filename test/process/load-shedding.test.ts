import autocannon from 'autocannon'
import { describe, expect, it } from 'vitest'
import { runLoad } from '../../scripts/loadtest/run.ts'
import { summarise } from '../../scripts/loadtest/summary.ts'
import { builtServer } from '../helpers/built-server.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

// Load shedding seen from outside: a busy but healthy instance must never
// shed (Cloud Run bounds its work with concurrency and scales out on CPU);
// only an event loop that has truly fallen behind does, and probes never.

const SLOW_SERVER = 'test/fixtures/server-with-slow-route.ts'

async function get (port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() }
}

describe('load shedding in the server process', () => {
  it('when a saturating load starts the moment the server is ready, at Cloud Run\'s concurrency of 80, then no request is shed', async () => {
    // autocannon is loaded before the server starts, so that the load begins
    // within milliseconds of the ready line: no idle time to average over.
    expect(typeof autocannon).toBe('function')
    const server = await startServerProcess({}, builtServer())
    const summary = summarise(await runLoad({
      url: new URL(`http://127.0.0.1:${server.port}/`),
      connections: 80,
      durationSeconds: 15,
      rate: undefined,
      headers: {},
      timeoutSeconds: 10,
      progress: undefined,
      label: '',
    }))
    // The test saw a saturating load, not a trickle.
    expect(summary.status2xx).toBeGreaterThan(5_000)
    expect({ non2xx: summary.non2xx, errors: summary.errors }).toStrictEqual({ non2xx: 0, errors: 0 })
    expect(server.logs().filter((line) => line.event === 'load_shedding')).toStrictEqual([])
  }, 40_000)

  it('when a request blocks the event loop for seconds, then the next requests get 503 with Retry-After, probes still get 200, and shedding is logged once as it starts and once as it stops', async () => {
    const server = await startServerProcess({ SHED_EVENT_LOOP_DELAY_MS: '1000' }, SLOW_SERVER)
    const blocking = get(server.port, '/block?ms=2500')
    await server.waitForLog((line) => line.message === 'blocking the event loop')
    // Sent while the loop is blocked: they wait in the kernel and are read after it.
    const during = [get(server.port, '/'), get(server.port, '/upstream'), get(server.port, '/health'), get(server.port, '/ready')]
    expect((await blocking).status).toBe(200)
    const [greeting, upstream, health, ready] = await Promise.all(during)
    const shed = { status: 503, retryAfter: '5', body: '{"code":"SVC_OVERLOADED","message":"The instance is overloaded, retry later"}' }
    expect(greeting).toStrictEqual(shed)
    expect(upstream).toStrictEqual(shed)
    expect(health).toMatchObject({ status: 200, body: '{"status":"ok"}' })
    expect(ready).toMatchObject({ status: 200, body: '{"status":"ready"}' })

    const stopped = await server.waitForLog((line) => line.event === 'load_shedding' && line.state === 'stopped', 5_000)
    const events = server.logs().filter((line) => line.event === 'load_shedding')
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({ severity: 'WARNING', state: 'started', thresholdMs: 1000 })
    expect(events[0]?.eventLoopDelayMs).toBeGreaterThan(1_000)
    expect(stopped).toMatchObject({ severity: 'WARNING', state: 'stopped', shed: 2 })
    // The cheapest response the service makes: no line of its own, no stack.
    expect(server.logs().filter((line) => line.httpRequest !== undefined && (line.httpRequest as { status: number }).status === 503)).toStrictEqual([])
    expect(server.stdout()).not.toContain('stack')
    // Afterwards the instance serves again.
    expect((await get(server.port, '/')).status).toBe(200)
  })

  it('when SHED_EVENT_LOOP_DELAY_MS is 0, then nothing is shed: not under a saturating load from boot, not after a blocked loop', async () => {
    const server = await startServerProcess({ SHED_EVENT_LOOP_DELAY_MS: '0' }, SLOW_SERVER)
    const load = runLoad({
      url: new URL(`http://127.0.0.1:${server.port}/`),
      connections: 80,
      durationSeconds: 8,
      rate: undefined,
      headers: {},
      timeoutSeconds: 10,
      progress: undefined,
      label: '',
    })
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect((await get(server.port, '/block?ms=1500')).status).toBe(200)
    const summary = summarise(await load)
    expect(summary.status2xx).toBeGreaterThan(2_000)
    expect({ non2xx: summary.non2xx, errors: summary.errors }).toStrictEqual({ non2xx: 0, errors: 0 })
    expect(server.logs().filter((line) => line.event === 'load_shedding')).toStrictEqual([])
  }, 30_000)
})
