import { describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, TraceFlags } from '@opentelemetry/api'
import { createPropagator } from '../../src/telemetry/cloud-trace-propagator.ts'

type Headers = Record<string, string | string[]>

function extract (headers: Headers) {
  return trace.getSpanContext(createPropagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter))
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

describe('the propagator: traceparent', () => {
  it('when the header is valid, then trace, span and the sampled flag are read as a remote parent', () => {
    expect(extract({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, tracestate: 'congo=t61rcWkgMzE' })).toMatchObject({
      traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true,
    })
  })

  it.each([
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`],
    ['all-zero trace', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span', `00-${TRACE_ID}-0000000000000000-01`],
    ['version 00 with extra fields', `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`],
    ['short trace', '00-4bf92f35-00f067aa0ba902b7-01'],
    ['empty', ''],
  ])('when it has %s, then it is ignored', (_case, header) => {
    expect(extract({ traceparent: header })).toBeUndefined()
  })

  it('when a future version adds fields, then the known ones are still read', () => {
    expect(extract({ traceparent: `01-${TRACE_ID}-00f067aa0ba902b7-00-whatever` }))
      .toMatchObject({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE })
  })

  it('when a span context is injected, then traceparent and tracestate are written for the next hop', () => {
    const propagator = createPropagator()
    const incoming = propagator.extract(ROOT_CONTEXT, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, tracestate: 'congo=t61rcWkgMzE' }, defaultTextMapGetter)
    const outgoing: Record<string, string> = {}
    propagator.inject(incoming, outgoing, defaultTextMapSetter)
    expect(outgoing).toStrictEqual({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, tracestate: 'congo=t61rcWkgMzE' })
  })
})

describe('the propagator: X-Cloud-Trace-Context', () => {
  it('when only X-Cloud-Trace-Context is sent, then its trace and decimal span are the parent', () => {
    expect(extract({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/16;o=1' }))
      .toMatchObject({ traceId: '105445aa7843bc8bf206b12000100000', spanId: '0000000000000010', traceFlags: TraceFlags.SAMPLED, isRemote: true })
  })

  it('when traceparent is malformed, then X-Cloud-Trace-Context is used instead', () => {
    expect(extract({ traceparent: 'nonsense', 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/16;o=1' }))
      .toMatchObject({ traceId: '105445aa7843bc8bf206b12000100000', spanId: '0000000000000010' })
  })

  it('when both are valid, then traceparent wins', () => {
    expect(extract({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00`, 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/16;o=1' }))
      .toMatchObject({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE })
  })

  it('when a header is repeated, then it is ignored', () => {
    expect(extract({ 'x-cloud-trace-context': ['105445aa7843bc8bf206b12000100000/16;o=1', '105445aa7843bc8bf206b12000100000/17;o=1'] })).toBeUndefined()
  })

  it('when a span context is injected, then no X-Cloud-Trace-Context is written: W3C only, outbound', () => {
    const propagator = createPropagator()
    const incoming = propagator.extract(ROOT_CONTEXT, { 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/16;o=1' }, defaultTextMapGetter)
    const outgoing: Record<string, string> = {}
    propagator.inject(incoming, outgoing, defaultTextMapSetter)
    expect(outgoing).toStrictEqual({ traceparent: '00-105445aa7843bc8bf206b12000100000-0000000000000010-01' })
  })
})
