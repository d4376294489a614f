import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace'
import type { Config } from '../config/load-config.ts'
import type { AccessTokenSource } from '../gcp/access-token.ts'

// Builds the span exporter from the typed config. Each OTLP flavour is loaded
// only when chosen: the exporters cost about 90 ms of start-up each to import
// (docs/tracing.md), and grpc pulls in @grpc/grpc-js.
//
// The URL, the headers and the timeout come from the schema and are passed
// here. The OTLP exporter packages also read OTEL_EXPORTER_OTLP_* from the
// environment themselves, with no option to stop them: what is passed here
// wins for the URL and the timeout, and the headers they read are the ones
// the schema read too. COMPRESSION, CERTIFICATE, CLIENT_KEY,
// CLIENT_CERTIFICATE (and INSECURE for gRPC), in both forms, are theirs
// alone: docs/adr/0009-hand-assembled-trace-sdk.md.

/** Below the drain deadline, so a hung collector cannot hold up shutdown. */
const EXPORT_TIMEOUT_MS = 5_000

export type SpanExporterChoice = Pick<Config,
  'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_PROTOCOL' |
  'OTEL_EXPORTER_OTLP_HEADERS' | 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'>

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

/** OTEL_EXPORTER_OTLP_HEADERS with OTEL_EXPORTER_OTLP_TRACES_HEADERS over it, as the spec merges them. */
function configuredHeaders (config: SpanExporterChoice): Record<string, string> {
  return { ...config.OTEL_EXPORTER_OTLP_HEADERS, ...config.OTEL_EXPORTER_OTLP_TRACES_HEADERS }
}

/**
 * The headers of each OTLP/HTTP export: the configured ones, and for
 * Google's endpoint the service account's token, unless an authorization
 * header is configured, which is then sent as it is.
 */
export function exportHeaders (config: SpanExporterChoice, url: string, tokens: AccessTokenSource): () => Promise<Record<string, string>> {
  const configured = configuredHeaders(config)
  if (!isGoogleEndpoint(url) || configured.authorization !== undefined) return async () => configured
  return async () => {
    const token = await tokens.token()
    return token === undefined ? configured : { ...configured, authorization: `Bearer ${token}` }
  }
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
  const headers = exportHeaders(config, url, tokens)
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
      const { OTLPTraceExporter, Metadata } = await import('./otlp-exporter-grpc.ts')
      const metadata = new Metadata()
      for (const [name, value] of Object.entries(configuredHeaders(config))) metadata.set(name, value)
      return new OTLPTraceExporter({ url, metadata, timeoutMillis: EXPORT_TIMEOUT_MS })
    }
  }
}
