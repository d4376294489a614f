import { context, isSpanContextValid, SpanKind, trace, TraceFlags, type Span, type Tracer } from '@opentelemetry/api'
import { RandomIdGenerator, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace'

/** The one method of a tracer that the server span needs (src/plugins/external/tracing.ts). */
export type SpanStarter = Pick<Tracer, 'startSpan'>

/**
 * Server spans for when nothing is exported. A recorded span would be built
 * (attributes, timings, events) only to be dropped, so here a span is its
 * identity alone: the caller's trace ID or a new one, a new span ID, and the
 * sampled flag the configured sampler gives it. That is all that log
 * correlation and the traceparent sent downstream read; the flag passes on
 * the sampling decision exactly as a recorded span would.
 */
export function createUnrecordedTracer (sampler: Sampler): SpanStarter {
  const ids = new RandomIdGenerator()
  return {
    startSpan (name, options = {}, parentContext = context.active()): Span {
      const parent = trace.getSpanContext(parentContext)
      const traceId = parent !== undefined && isSpanContextValid(parent) ? parent.traceId : ids.generateTraceId()
      const { decision } = sampler.shouldSample(parentContext, traceId, name, options.kind ?? SpanKind.INTERNAL, options.attributes ?? {}, options.links ?? [])
      return trace.wrapSpanContext({
        traceId,
        spanId: ids.generateSpanId(),
        traceFlags: decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
        ...(parent?.traceState === undefined ? {} : { traceState: parent.traceState }),
      })
    },
  }
}
