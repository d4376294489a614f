import { monitorEventLoopDelay } from 'node:perf_hooks'
import fp from 'fastify-plugin'
import { errors } from '../../errors/catalogue.ts'

// Sheds load with 503 and Retry-After while the event loop has truly fallen
// behind, so that Cloud Run's front end sends the work elsewhere instead of
// queueing it here. A busy instance is not one: Cloud Run already bounds the
// work per instance (concurrency) and scales out on CPU, and a new instance
// is saturated from its first second. So the only signal is event-loop
// delay, over the last second alone; utilisation, which is near 1 whenever
// the instance is busy, is not one.
//
// A shed response is the cheapest response the service makes: a fixed body,
// no stack and no log line. One WARNING says when shedding starts and one
// when it stops, with how many requests were shed in between. Probes
// (config.probe) are never shed: a busy instance is still alive and ready.

/** How often the delay is read; each reading covers the time since the last. */
const SAMPLE_INTERVAL_MS = 1_000
/** The delay histogram's timer: fine enough for delays of tens of milliseconds, and native, so it costs nothing in JavaScript. */
const RESOLUTION_MS = 10
/** Seconds a client should wait; Cloud Run's front end usually retries elsewhere sooner. */
const RETRY_AFTER_SECONDS = '5'
const SHED_BODY = JSON.stringify({ code: errors.OVERLOADED.code, message: errors.OVERLOADED.message })

export interface LoadSheddingOptions {
  /** SHED_EVENT_LOOP_DELAY_MS; 0 turns shedding off altogether. */
  maxEventLoopDelayMs: number
}

export default fp<LoadSheddingOptions>(async function loadSheddingPlugin (app, { maxEventLoopDelayMs }) {
  // Set on a request answered 503 here, so that no request line is written for it.
  app.decorateRequest('shed', false)
  if (maxEventLoopDelayMs === 0) return

  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  let shedding = false
  let shed = 0
  let startedAtMs = 0
  let lastSampleAtMs = 0
  let sampler: NodeJS.Timeout | undefined

  function sample (): void {
    const nowMs = performance.now()
    // How late this timer itself ran: a block that outlasts the interval
    // shows here at once, even before the histogram has recorded it.
    const lateMs = nowMs - lastSampleAtMs - SAMPLE_INTERVAL_MS
    lastSampleAtMs = nowMs
    const eventLoopDelayMs = Math.round(Math.max(histogram.max / 1e6, lateMs))
    histogram.reset()
    if (!shedding && eventLoopDelayMs > maxEventLoopDelayMs) {
      shedding = true
      shed = 0
      startedAtMs = nowMs
      app.log.warn({ event: 'load_shedding', state: 'started', eventLoopDelayMs, thresholdMs: maxEventLoopDelayMs },
        `Shedding load: the event loop fell ${eventLoopDelayMs} ms behind (threshold ${maxEventLoopDelayMs} ms); answering 503 to all but probes`)
    } else if (shedding && eventLoopDelayMs <= maxEventLoopDelayMs) {
      shedding = false
      const durationMs = Math.round(nowMs - startedAtMs)
      app.log.warn({ event: 'load_shedding', state: 'stopped', shed, durationMs },
        `Stopped shedding load after ${durationMs} ms; ${shed} requests were answered 503`)
    }
  }

  // Measured from the moment the app is ready, so that loading modules at
  // boot (which can hold the loop for seconds on a throttled CPU) never
  // counts against the first requests.
  app.addHook('onReady', async () => {
    histogram.enable()
    lastSampleAtMs = performance.now()
    sampler = setInterval(sample, SAMPLE_INTERVAL_MS).unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(sampler)
    histogram.disable()
  })

  // A callback hook: a promise per request would cost more than the check.
  app.addHook('onRequest', (request, reply, done) => {
    if (!shedding || request.routeOptions.config.probe === true) {
      done()
      return
    }
    shed++
    request.shed = true
    // Answering here ends the request: no later hook or handler runs.
    reply.code(503)
      .header('retry-after', RETRY_AFTER_SECONDS)
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(SHED_BODY)
  })
}, { name: 'load-shedding' })

declare module 'fastify' {
  interface FastifyRequest {
    /** Answered 503 by load shedding: no request line is written for it. */
    shed: boolean
  }
  interface FastifyContextConfig {
    /** Marks a health or readiness probe: never shed, never request-logged. */
    probe?: boolean
  }
}
