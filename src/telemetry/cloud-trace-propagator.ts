import { trace, TraceFlags, type Context, type TextMapGetter, type TextMapPropagator } from '@opentelemetry/api'
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'

// Google's older trace header, X-Cloud-Trace-Context, read inbound so that
// callers that send only that one still join the trace. W3C traceparent is
// read (and sent on) by OpenTelemetry's own propagator. A malformed header is
// ignored: it must never fail the request.
// https://cloud.google.com/trace/docs/trace-context#legacy-http-header

const HEADER = 'x-cloud-trace-context'
const CLOUD_TRACE_CONTEXT = /^([\da-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/
const INVALID_TRACE_ID = '0'.repeat(32)
const MAX_SPAN_ID = (1n << 64n) - 1n

interface CloudTraceContext {
  /** 32 lowercase hex characters. */
  traceId: string
  /** 16 lowercase hex characters. */
  spanId: string
  sampled: boolean
}

/**
 * `TRACE_ID/SPAN_ID;o=OPTIONS`, where SPAN_ID is an unsigned 64-bit integer
 * in decimal; undefined when the header is not one.
 */
export function parseCloudTraceContext (header: string): CloudTraceContext | undefined {
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

/**
 * Inbound only: outbound calls carry W3C `traceparent`, which Google's
 * services all accept.
 */
class CloudTraceContextPropagator implements TextMapPropagator {
  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    // A valid traceparent, extracted first, wins.
    if (trace.getSpanContext(context) !== undefined) return context
    const value = getter.get(carrier, HEADER)
    // A repeated header is ambiguous; treat it as absent rather than guess.
    if (typeof value !== 'string') return context
    const incoming = parseCloudTraceContext(value)
    if (incoming === undefined) return context
    return trace.setSpanContext(context, {
      traceId: incoming.traceId,
      spanId: incoming.spanId,
      traceFlags: incoming.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    })
  }

  inject (): void {}

  fields (): string[] {
    return []
  }
}

/** W3C traceparent/tracestate in both directions, then X-Cloud-Trace-Context inbound. */
export function createPropagator (): TextMapPropagator {
  return new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new CloudTraceContextPropagator()] })
}
