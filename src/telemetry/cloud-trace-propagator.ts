import { trace, TraceFlags, type Context, type TextMapGetter, type TextMapPropagator } from '@opentelemetry/api'
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { parseCloudTraceContext } from '../logging/trace-context.ts'

const HEADER = 'x-cloud-trace-context'

/**
 * Reads Google's older `X-Cloud-Trace-Context` header, so callers that send
 * only that one still join the trace. Inbound only: outbound calls carry W3C
 * `traceparent`, which Google's services all accept.
 * https://cloud.google.com/trace/docs/trace-context#legacy-http-header
 */
export class CloudTraceContextPropagator implements TextMapPropagator {
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
