import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

// The shedding decision in-process; test/process/load-shedding.test.ts has
// the same under real load, against the built server.

function blockEventLoop (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* busy: this is the overload */ }
}

describe('load shedding', () => {
  it('when the event loop falls behind, then requests get 503 with Retry-After and no request line, while probes still answer', async () => {
    const { app, logs } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '200' })
    await app.ready()
    blockEventLoop(1_500) // past the next reading of the delay
    await sleep(20) // the reading, overdue, runs first
    const shed = await app.inject({ method: 'GET', url: '/' })
    expect(shed.statusCode).toBe(503)
    expect(shed.headers['retry-after']).toBe('5')
    expect(shed.headers['cache-control']).toBe('no-store')
    expect(shed.json()).toStrictEqual({ code: 'SVC_OVERLOADED', message: 'The instance is overloaded, retry later' })
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)
    expect(logs.lines().filter((line) => line.httpRequest !== undefined)).toStrictEqual([])
    expect(logs.lines().map(({ severity, event, state }) => ({ severity, event, state })))
      .toStrictEqual([{ severity: 'WARNING', event: 'load_shedding', state: 'started' }])
  })

  it('when the event loop was blocked for seconds during boot, then the first requests are still served', async () => {
    const { app } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '200' })
    blockEventLoop(1_300) // like loading modules on a throttled CPU
    await app.ready()
    await sleep(1_100) // the first reading after ready
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
  })

  it('when the threshold is 0, then nothing is shed, however far behind the loop falls', async () => {
    const { app, logs } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '0' })
    await app.ready()
    blockEventLoop(1_500)
    await sleep(1_100)
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(logs.lines().filter((line) => line.event === 'load_shedding')).toStrictEqual([])
  })
})
