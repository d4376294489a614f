// Reads the caller's trace from the request headers, for log correlation.
// W3C traceparent wins; X-Cloud-Trace-Context is the older Google header.
// A malformed header is ignored: it must never fail the request.

export interface IncomingTrace {
  /** 32 lowercase hex characters. */
  traceId: string
  /** 16 lowercase hex characters. */
  spanId: string
  sampled: boolean
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/
const CLOUD_TRACE_CONTEXT = /^([\da-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/
const INVALID_TRACE_ID = '0'.repeat(32)
const INVALID_SPAN_ID = '0'.repeat(16)
const MAX_SPAN_ID = (1n << 64n) - 1n

/** https://www.w3.org/TR/trace-context/#traceparent-header */
export function parseTraceparent (header: string): IncomingTrace | undefined {
  const match = TRACEPARENT.exec(header.trim())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined]
  // Version ff is invalid; version 00 allows nothing after the flags.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

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

type Headers = Readonly<Record<string, string | string[] | undefined>>

function single (value: string | string[] | undefined): string | undefined {
  // A repeated header is ambiguous; treat it as absent rather than guess.
  return typeof value === 'string' ? value : undefined
}

export function readIncomingTrace (headers: Headers): IncomingTrace | undefined {
  const traceparent = single(headers.traceparent)
  const fromW3c = traceparent === undefined ? undefined : parseTraceparent(traceparent)
  if (fromW3c !== undefined) return fromW3c
  const cloudTrace = single(headers['x-cloud-trace-context'])
  return cloudTrace === undefined ? undefined : parseCloudTraceContext(cloudTrace)
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
