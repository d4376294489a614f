import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

function blockEventLoop (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* busy: this is the overload */ }
}

describe('load shedding', () => {
  it('when the event loop falls behind, then requests get 503 with Retry-After while probes still answer', async () => {
    // 1 ms over the histogram's resolution: one 300 ms stall is far beyond it.
    const { app } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '1' })
    await app.ready()
    await sleep(2_100) // past the start-up grace period (two samples)
    blockEventLoop(300)
    let shed
    // under-pressure samples once a second; poll until the stall is seen.
    for (let attempt = 0; attempt < 50 && shed === undefined; attempt++) {
      const response = await app.inject({ method: 'GET', url: '/' })
      if (response.statusCode === 503) shed = response
      else await sleep(50)
    }
    expect(shed?.headers['retry-after']).toBe('5')
    expect(shed?.json()).toStrictEqual({ code: 'SVC_OVERLOADED', message: 'The instance is overloaded, retry later' })
    const health = await app.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
  })

  it('when the event loop was blocked for a whole sample window during boot, then the first requests are still served', async () => {
    const { app } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '1' })
    blockEventLoop(1_300) // like loading modules on a throttled CPU: a sample window with no samples
    await app.ready()
    await sleep(100)
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
  })

  it('when the threshold is 0, then nothing is shed', async () => {
    const { app } = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '0' })
    await app.ready()
    blockEventLoop(300)
    await sleep(1_100)
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
  })
})
