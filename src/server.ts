// The only file that touches the process: environment, signals, listen, exit.
// Everything else is built by factories that take explicit arguments.
import type { AddressInfo } from 'node:net'
import type { FastifyPluginAsync } from 'fastify'
import { loadConfig, secretValuesOf } from './config/load-config.ts'
import { ServiceError } from './errors/service-error.ts'
import { createMetadataServer } from './gcp/metadata-server.ts'
import { createProjectIdResolver } from './gcp/project-id.ts'
import { createShutdown } from './lifecycle/shutdown.ts'
import { createLogger, formatDropNotice } from './logging/cloud-logging.ts'
import { createStdoutSink, type StdoutSink } from './logging/stdout-sink.ts'
import { resolveSecrets } from './secrets/resolve-secrets.ts'
import { startTelemetry } from './telemetry/start-telemetry.ts'

const bootStartedAt = performance.now()

/** Logs why boot failed in one structured CRITICAL line, then exits non-zero. */
function failBoot (error: unknown, secretValues: Set<string>, stdout: StdoutSink): never {
  // The real config may be what failed, so this logger uses the defaults,
  // but it still censors every secret value read before the failure.
  const logger = createLogger(loadConfig({}), { secretValues, destination: stdout })
  if (error instanceof ServiceError) {
    // An expected failure (bad config, missing secret): the message and
    // details say what to fix, and a stack trace would only bury them.
    logger.fatal({ code: error.code, ...error.details }, error.message)
  } else {
    logger.fatal({ err: error }, 'Boot failed')
  }
  process.exit(1)
}

export interface StartOptions {
  /** Extra routes; only test fixtures pass any. */
  routes?: FastifyPluginAsync[]
}

/** Boots the service from the process's environment and serves until a signal. */
export async function start ({ routes = [] }: StartOptions = {}): Promise<void> {
  // Log lines leave through one sink, which never blocks on a slow reader;
  // every way out of the process, whoever calls process.exit, writes what is
  // still queued in it.
  const stdout = createStdoutSink({ dropNotice: formatDropNotice })
  process.on('exit', () => stdout.flushSync())
  // Every secret value read so far, for the logger to censor, even in the line that says boot failed.
  const secretValues = new Set<string>()
  try {
    await boot(routes, secretValues, stdout)
  } catch (error) {
    failBoot(error, secretValues, stdout)
  }
}

async function boot (routes: FastifyPluginAsync[], secretValues: Set<string>, stdout: StdoutSink): Promise<void> {
  // Secrets first: sm:// references and NAME_FILE become values before the
  // config is validated, and any that cannot be read stops the boot here.
  // Secret Manager speaks gRPC over http2, which is not instrumented: boot
  // makes no spans, and nothing it loads is one of the traced modules.
  const secrets = await resolveSecrets(process.env)
  for (const value of secrets.values) secretValues.add(value)
  const config = loadConfig(secrets.env, { secretVariables: secrets.variables })
  for (const value of secretValuesOf(config)) secretValues.add(value)
  const metadata = createMetadataServer(config)
  const projectId = createProjectIdResolver(config, metadata)
  const logger = createLogger(config, { correlation: { projectId }, secretValues, destination: stdout })
  for (const { level, fields, message } of secrets.notices) logger[level](fields, message)
  const telemetry = await startTelemetry(config, { logger, metadata })
  // Loaded only now, so that the SDK above instruments http, undici and Fastify.
  const { buildApp } = await import('./app.ts')
  const app = await buildApp(config, { logger, metadata, projectId, serverSpans: telemetry.serverSpans, routes })

  const { onSignal, onFatal } = createShutdown({
    app,
    logger,
    drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
    exit: (code) => process.exit(code),
    telemetry,
  })
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('uncaughtException', (error) => onFatal(error, 'uncaughtException'))
  process.on('unhandledRejection', (reason) => onFatal(reason, 'unhandledRejection'))

  await app.listen({ port: config.PORT, host: config.HOST })
  logger.info({
    node: process.version,
    port: (app.server.address() as AddressInfo).port,
    bootMs: Math.round(performance.now() - bootStartedAt),
    tracing: telemetry.enabled ? (telemetry.exportsTo ?? 'on, not exported') : 'off',
  }, `${config.serviceName} ready`)
}

// Importing this module (as test fixtures do) starts nothing; running it does.
if (import.meta.main) await start()
