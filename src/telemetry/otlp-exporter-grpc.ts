// Loaded only by `await import()` in exporter.ts, when
// OTEL_EXPORTER_OTLP_PROTOCOL is grpc: the exporter, and the Metadata class
// that carries the OTLP headers.
// A module of its own, re-exporting, because in the split bundle
// (scripts/build.ts) `await import()` of a CommonJS package yields only its
// default export; a static re-export goes through esbuild's interop, and works
// the same unbundled.
export { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
export { Metadata } from '@grpc/grpc-js'
