import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'
import type { Config } from '../config/load-config.ts'
import { createAccessTokenSource } from '../gcp/access-token.ts'
import { metadataHost } from '../gcp/metadata-server.ts'
import { createPropagator } from './cloud-trace-propagator.ts'
import { createSampler } from './sampler.ts'
import { createResource } from './resource.ts'
import { createSpanExporter, tracesEndpoint } from './exporter.ts'
import { createPathFilter } from './ignored-paths.ts'
import { createFastifyInstrumentation } from './fastify-instrumentation.ts'
import type { Telemetry, TelemetryDependencies } from './start-telemetry.ts'

// The OpenTelemetry trace SDK, assembled by hand from the typed config rather
// than by @opentelemetry/sdk-node's NodeSDK. NodeSDK puts together these same
// parts (TracerProvider, context manager, propagator, instrumentations), but
// importing it loads every logs and metrics exporter too, gRPC and Prometheus
// included: measured at 0.2-0.3 s more import time (docs/tracing.md), as much
// as the 0.25 s that ruled out auto-instrumentations-node. Building it here
// also means nothing is configured from process.env behind the schema's back.

export async function startTracingSdk (config: Config, { logger, metadata }: TelemetryDependencies): Promise<Telemetry> {
  // The SDK reports its own trouble (an export that failed) through diag,
  // which is silent by default: send warnings and errors to our log instead.
  diag.setLogger({
    error: (message, ...args) => logger.error({ otel: args }, message),
    warn: (message, ...args) => logger.warn({ otel: args }, message),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  const exporter = await createSpanExporter(config, createAccessTokenSource(metadata))
  const spanProcessor = exporter === undefined
    // No exporter: spans still exist, so the active span's IDs reach the logs
    // and traceparent goes on downstream, but nothing leaves the process.
    ? new NoopSpanProcessor()
    : exporter instanceof ConsoleSpanExporter
      ? new SimpleSpanProcessor({ exporter })
      // Batches, sent every 5 s and flushed on shutdown (src/lifecycle/shutdown.ts).
      // Defaults: https://opentelemetry.io/docs/specs/otel/trace/sdk/#batching-processor
      : new BatchSpanProcessor({ exporter })
  const tracerProvider = new TracerProvider({
    resource: createResource(config, metadata),
    sampler: createSampler(config),
    spanProcessors: [spanProcessor],
  })

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(createPropagator())
  trace.setGlobalTracerProvider(tracerProvider)

  const ignored = createPathFilter(config.TRACE_IGNORED_PATHS)
  const metadataOrigin = `http://${metadataHost(config)}`
  const fastify = createFastifyInstrumentation(config)
  // Only the instrumentations this service needs: its HTTP server (and
  // outbound http), fetch/undici, and Fastify.
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => ignored(request.url) }),
      // The metadata server (project, region, tokens) is plumbing, not a
      // dependency worth a span in every trace.
      new UndiciInstrumentation({ ignoreRequestHook: (request) => request.origin === metadataOrigin }),
      fastify,
    ],
  })

  return {
    enabled: true,
    exportsTo: exporter === undefined ? undefined : (tracesEndpoint(config) ?? config.OTEL_TRACES_EXPORTER),
    fastifyPlugin: fastify.plugin(),
    forceFlush: () => tracerProvider.forceFlush(),
    shutdown: () => tracerProvider.shutdown(),
  }
}
