// Trace context in Google's formats. W3C traceparent is parsed by
// OpenTelemetry's propagator; this file covers what is Google's own:
// the older X-Cloud-Trace-Context header (read by
// src/telemetry/cloud-trace-propagator.ts) and Cloud Logging's trace fields.
// A malformed header is ignored: it must never fail the request.

export interface IncomingTrace {
  /** 32 lowercase hex characters. */
  traceId: string
  /** 16 lowercase hex characters. */
  spanId: string
  sampled: boolean
}

const CLOUD_TRACE_CONTEXT = /^([\da-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/
const INVALID_TRACE_ID = '0'.repeat(32)
const MAX_SPAN_ID = (1n << 64n) - 1n

/**
 * `TRACE_ID/SPAN_ID;o=OPTIONS`, where SPAN_ID is an unsigned 64-bit integer
 * in decimal: https://cloud.google.com/trace/docs/trace-context#legacy-http-header
 */
export function parseCloudTraceContext (header: string): IncomingTrace | undefined {
  const match = CLOUD_TRACE_CONTEXT.exec(header.trim())
  if (match === null) return undefined
  const [, traceId, decimalSpanId, options] = match as unknown as [string, string, string | undefined, string | undefined]
  if (decimalSpanId === undefined) return undefined
  const span = BigInt(decimalSpanId)
  if (span === 0n || span > MAX_SPAN_ID) return undefined
  const normalisedTraceId = traceId.toLowerCase()
  if (normalisedTraceId === INVALID_TRACE_ID) return undefined
  return { traceId: normalisedTraceId, spanId: span.toString(16).padStart(16, '0'), sampled: options === '1' }
}

/** The fields Cloud Logging uses to link a log line to its trace. */
export function traceLogFields (trace: IncomingTrace, projectId: string | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    'logging.googleapis.com/spanId': trace.spanId,
    'logging.googleapis.com/trace_sampled': trace.sampled,
  }
  if (projectId !== undefined) {
    fields['logging.googleapis.com/trace'] = `projects/${projectId}/traces/${trace.traceId}`
  }
  return fields
}
