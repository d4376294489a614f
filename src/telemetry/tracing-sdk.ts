import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'
import type { Config } from '../config/load-config.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../config/service-identity.ts'
import { createAccessTokenSource } from '../gcp/access-token.ts'
import { metadataHost } from '../gcp/metadata-server.ts'
import { createPropagator } from './cloud-trace-propagator.ts'
import { createSampler } from './sampler.ts'
import { createResource } from './resource.ts'
import { createSpanExporter, tracesEndpoint } from './exporter.ts'
import { createUnrecordedTracer } from './unrecorded-tracer.ts'
import type { Telemetry, TelemetryDependencies } from './start-telemetry.ts'

// The OpenTelemetry trace SDK, assembled by hand from the typed config rather
// than by @opentelemetry/sdk-node's NodeSDK. NodeSDK puts together these same
// parts (TracerProvider, context manager, propagator, instrumentations), but
// importing it loads every logs and metrics exporter too, gRPC and Prometheus
// included (docs/adr/0002-no-auto-instrumentation.md has the measurement).
// Inbound requests get their SERVER span from a Fastify hook
// (src/plugins/external/tracing.ts), not from patching node:http; the only
// instrumentation is undici's, for outbound calls (fetch and the outbound
// client), which it reads from Node's diagnostics channels.

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
    // No exporter: spans made with the API (a custom span, an outbound
    // call's) are recorded and dropped; the server span is not even
    // recorded (createUnrecordedTracer below).
    ? new NoopSpanProcessor()
    : exporter instanceof ConsoleSpanExporter
      ? new SimpleSpanProcessor({ exporter })
      // Batches, sent every 5 s and flushed on shutdown (src/lifecycle/shutdown.ts).
      // Defaults: https://opentelemetry.io/docs/specs/otel/trace/sdk/#batching-processor
      : new BatchSpanProcessor({ exporter })
  const sampler = createSampler(config)
  const tracerProvider = new TracerProvider({ resource: createResource(config, metadata), sampler, spanProcessors: [spanProcessor] })

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(createPropagator())
  trace.setGlobalTracerProvider(tracerProvider)

  const metadataOrigin = `http://${metadataHost(config)}`
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      // The metadata server (project, region, tokens) is plumbing, not a
      // dependency worth a span in every trace.
      new UndiciInstrumentation({ ignoreRequestHook: (request) => request.origin === metadataOrigin }),
    ],
  })

  return {
    enabled: true,
    exportsTo: exporter === undefined ? undefined : (tracesEndpoint(config) ?? config.OTEL_TRACES_EXPORTER),
    serverSpans: exporter === undefined ? createUnrecordedTracer(sampler) : tracerProvider.getTracer(PACKAGE_NAME, PACKAGE_VERSION),
    forceFlush: () => tracerProvider.forceFlush(),
    shutdown: () => tracerProvider.shutdown(),
  }
}
