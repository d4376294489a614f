import type { FastifyBaseLogger, FastifyInstance } from 'fastify'

// Graceful shutdown, in the order Cloud Run needs it. Cloud Run stops routing
// new requests to an instance, then sends SIGTERM, then SIGKILL 10 s later:
// https://cloud.google.com/run/docs/container-contract#instance-shutdown
//  1. /ready turns 503 (readiness.beginDrain).
//  2. app.close(): the server stops accepting connections, idle keep-alive
//     connections are closed at once (Node's server.close() does that since
//     v19), busy ones get "Connection: close" on their last response.
//  3. In-flight requests finish, up to drainTimeoutMs.
//  4. onClose hooks release clients and breakers.
//  5. Spans still buffered are exported (forceFlush), then the tracing SDK
//     stops: Cloud Run may freeze the CPU and then kill the instance, so
//     anything left in the batch would be lost.
//  6. A final log line, and exit 0.
// A second signal, or the deadline, ends the process at once, non-zero.

export interface ShutdownOptions {
  app: FastifyInstance
  logger: FastifyBaseLogger
  drainTimeoutMs: number
  exit: (code: number) => void
  /** The tracing SDK, flushed and stopped once the app has closed. */
  telemetry?: { forceFlush: () => Promise<void>, shutdown: () => Promise<void> }
}

export interface Shutdown {
  /** Starts the drain once; later calls while it runs are ignored. */
  shutdown: (reason: string, exitCode: number) => void
  /** SIGTERM/SIGINT: the first one drains, the second one exits now. */
  onSignal: (signal: NodeJS.Signals) => void
  /** An uncaught exception or unhandled rejection: log CRITICAL, then drain and exit 1. */
  onFatal: (error: unknown, origin: string) => void
}

/** Exit status for death by signal, as shells report it. */
const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 }

export function createShutdown ({ app, logger, drainTimeoutMs, exit, telemetry }: ShutdownOptions): Shutdown {
  let started = false

  function shutdown (reason: string, exitCode: number): void {
    if (started) return
    started = true
    drain(reason, exitCode).catch((error: unknown) => {
      logger.fatal({ err: error }, 'Shutdown failed')
      exit(1)
    })
  }

  async function drain (reason: string, exitCode: number): Promise<void> {
    const startedAt = performance.now()
    logger.info({ reason, drainTimeoutMs }, 'Shutting down: draining in-flight requests')
    app.readiness.beginDrain()
    const deadline = setTimeout(() => {
      logger.error({ drainTimeoutMs }, 'Drain deadline passed with requests still in flight; exiting now')
      exit(1)
    }, drainTimeoutMs)
    let code = exitCode
    try {
      await app.close()
    } catch (error) {
      logger.error({ err: error }, 'Error while closing the app')
      code = 1
    }
    if (telemetry !== undefined) {
      // Within the same deadline: a collector that hangs costs spans, never
      // the SIGKILL that Cloud Run sends 10 s after SIGTERM.
      try {
        await telemetry.forceFlush()
        await telemetry.shutdown()
      } catch (error) {
        // Lost spans are not a reason to report the shutdown as failed.
        logger.warn({ err: error }, 'Could not export the last spans')
      }
    }
    clearTimeout(deadline)
    logger.info({ exitCode: code, drainMs: Math.round(performance.now() - startedAt) }, 'Shutdown complete')
    exit(code)
  }

  return {
    shutdown,
    onSignal (signal) {
      if (started) {
        logger.warn({ signal }, 'Second signal during drain; exiting now')
        exit(SIGNAL_EXIT_CODES[signal] ?? 1)
        return
      }
      shutdown(`received ${signal}`, 0)
    },
    onFatal (error, origin) {
      logger.fatal({ err: error instanceof Error ? error : new Error(String(error)), origin }, `Fatal ${origin}; shutting down`)
      shutdown(origin, 1)
    },
  }
}
