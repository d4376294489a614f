import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace'
import type { Config } from '../config/load-config.ts'
import type { AccessTokenSource } from '../gcp/access-token.ts'

// Builds the span exporter from the typed config. Each OTLP flavour is loaded
// only when chosen: the exporters cost about 90 ms of start-up each to import
// (docs/tracing.md), and grpc pulls in @grpc/grpc-js.
//
// The OTLP exporters also read a few OTEL_EXPORTER_OTLP_* variables from the
// environment themselves (HEADERS, TIMEOUT, COMPRESSION, CERTIFICATE and their
// TRACES_ forms). We do not repeat them in the schema; what we pass here wins.

/** Below the drain deadline, so a hung collector cannot hold up shutdown. */
const EXPORT_TIMEOUT_MS = 5_000

export type SpanExporterChoice = Pick<Config,
  'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_PROTOCOL'>

/** Where OTLP spans go, as the spec composes it; undefined when no endpoint is set. */
export function tracesEndpoint (config: SpanExporterChoice): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT
  if (base === undefined) return undefined
  // gRPC takes the base URL as is; OTLP/HTTP appends the signal's path.
  if (config.OTEL_EXPORTER_OTLP_PROTOCOL === 'grpc') return base
  return `${base.replace(/\/+$/, '')}/v1/traces`
}

/** Google's own endpoints need the service account's token; nothing else gets it. */
function isGoogleEndpoint (url: string): boolean {
  return /(^|\.)googleapis\.com$/.test(new URL(url).hostname)
}

/**
 * The exporter OTEL_TRACES_EXPORTER asks for, or undefined for none. With
 * `otlp` and no endpoint configured, nothing is exported (the spec's default,
 * localhost:4318, would print a connection error on every laptop).
 */
export async function createSpanExporter (config: SpanExporterChoice, tokens: AccessTokenSource): Promise<SpanExporter | undefined> {
  if (config.OTEL_TRACES_EXPORTER === 'none') return undefined
  if (config.OTEL_TRACES_EXPORTER === 'console') {
    return new ConsoleSpanExporter()
  }
  const url = tracesEndpoint(config)
  if (url === undefined) return undefined
  const headers = isGoogleEndpoint(url)
    ? async (): Promise<Record<string, string>> => {
      const token = await tokens.token()
      return token === undefined ? {} : { authorization: `Bearer ${token}` }
    }
    : undefined
  switch (config.OTEL_EXPORTER_OTLP_PROTOCOL) {
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('./otlp-exporter-proto.ts')
      return new OTLPTraceExporter({ url, headers, timeoutMillis: EXPORT_TIMEOUT_MS })
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('./otlp-exporter-http.ts')
      return new OTLPTraceExporter({ url, headers, timeoutMillis: EXPORT_TIMEOUT_MS })
    }
    case 'grpc': {
      // The gRPC exporter takes static metadata only, so it cannot carry a
      // token that expires: to reach Google directly, use http/protobuf, or a
      // Collector sidecar (docs/tracing.md).
      const { OTLPTraceExporter } = await import('./otlp-exporter-grpc.ts')
      return new OTLPTraceExporter({ url, timeoutMillis: EXPORT_TIMEOUT_MS })
    }
  }
}
