import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/load-config.ts'
import type { MetadataServer } from '../gcp/metadata-server.ts'
import type { SpanStarter } from './unrecorded-tracer.ts'

// OpenTelemetry traces. server.ts calls startTelemetry before it loads the
// app, so that outbound calls are traced from the first one.

export interface Telemetry {
  readonly enabled: boolean
  /** Where spans are exported (URL or exporter name); undefined when nowhere. */
  readonly exportsTo: string | undefined
  /** What starts each request's SERVER span (src/plugins/external/tracing.ts); undefined when tracing is off. */
  readonly serverSpans: SpanStarter | undefined
  /** Exports every finished span now. */
  forceFlush: () => Promise<void>
  /** Flushes, then stops the SDK. */
  shutdown: () => Promise<void>
}

const DISABLED: Telemetry = {
  enabled: false,
  exportsTo: undefined,
  serverSpans: undefined,
  forceFlush: async () => {},
  shutdown: async () => {},
}

export interface TelemetryDependencies {
  /** Where the SDK's own warnings go (a failed export, say). */
  logger: FastifyBaseLogger
  metadata: MetadataServer
}

export async function startTelemetry (config: Config, deps: TelemetryDependencies): Promise<Telemetry> {
  // OTEL_SDK_DISABLED: not even the SDK's modules are loaded.
  if (config.OTEL_SDK_DISABLED) return DISABLED
  const { startTracingSdk } = await import('./tracing-sdk.ts')
  return startTracingSdk(config, deps)
}
