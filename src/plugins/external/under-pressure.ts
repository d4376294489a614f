import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import { ServiceError } from '../../errors/service-error.ts'
import { errors } from '../../errors/catalogue.ts'

// Sheds load with 503 and Retry-After when the event loop falls behind, so
// Cloud Run's front end retries on another instance instead of queueing here.
// Probe routes (config.probe) are exempt: a busy instance is still alive.

/** How often under-pressure samples the event loop (its default, made explicit for the grace period below). */
const SAMPLE_INTERVAL_MS = 1_000
/** Event-loop utilisation past which requests are shed. */
const MAX_EVENT_LOOP_UTILIZATION = 0.98
/** Seconds a client should wait; Cloud Run's front end usually retries elsewhere sooner. */
const RETRY_AFTER_SECONDS = 5

class OverloadedError extends ServiceError {
  constructor () {
    super(errors.OVERLOADED, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } })
  }
}

export interface UnderPressureOptions {
  /** SHED_EVENT_LOOP_DELAY_MS: well above a healthy instance's delay, well below a client's timeout. */
  maxEventLoopDelayMs: number
}

export default fp<UnderPressureOptions>(async function underPressurePlugin (app, { maxEventLoopDelayMs }) {
  // under-pressure reads a sample window with no samples in it (the event
  // loop blocked for the whole window, as loading modules at boot can do on a
  // slow or throttled CPU) as an infinite delay, and would shed the first
  // requests after a cold start. So pressure counts only from the second
  // sample after the app is ready: the first one wholly after boot.
  let shedFrom = Number.POSITIVE_INFINITY
  app.addHook('onReady', async () => {
    shedFrom = performance.now() + 2 * SAMPLE_INTERVAL_MS
  })
  await app.register(underPressure, {
    sampleInterval: SAMPLE_INTERVAL_MS,
    maxEventLoopDelay: maxEventLoopDelayMs,
    maxEventLoopUtilization: MAX_EVENT_LOOP_UTILIZATION,
    // A rejected promise makes under-pressure pass the error on to the error handler.
    pressureHandler: async () => {
      if (performance.now() >= shedFrom) throw new OverloadedError()
    },
  })
  app.addHook('onRoute', (route) => {
    if (route.config?.probe === true) {
      // A handler that returns undefined lets the request through.
      route.config = { ...route.config, pressureHandler: () => undefined }
    }
  })
}, { name: 'under-pressure' })

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks a health or readiness probe: never shed, never request-logged. */
    probe?: boolean
    /** @fastify/under-pressure's per-route override; set for probes by this plugin. */
    pressureHandler?: () => undefined
  }
}
