import { describe, expect, it } from 'vitest'
import { parseCloudTraceContext, parseTraceparent, readIncomingTrace } from '../../src/logging/trace-context.ts'

describe('parseTraceparent', () => {
  it('when the header is valid, then trace, span and the sampled flag are read', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'))
      .toStrictEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true })
  })

  it.each([
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version 00 with extra fields', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['short trace', '00-4bf92f35-00f067aa0ba902b7-01'],
    ['empty', ''],
  ])('when it has %s, then it is ignored', (_case, header) => {
    expect(parseTraceparent(header)).toBeUndefined()
  })

  it('when a future version adds fields, then the known ones are still read', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-whatever'))
      .toStrictEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: false })
  })
})

describe('parseCloudTraceContext', () => {
  it('when the span is decimal, then it is converted to 16 hex digits', () => {
    expect(parseCloudTraceContext('105445aa7843bc8bf206b12000100000/1;o=1'))
      .toStrictEqual({ traceId: '105445aa7843bc8bf206b12000100000', spanId: '0000000000000001', sampled: true })
    expect(parseCloudTraceContext('105445aa7843bc8bf206b12000100000/18446744073709551615;o=0'))
      .toStrictEqual({ traceId: '105445aa7843bc8bf206b12000100000', spanId: 'ffffffffffffffff', sampled: false })
  })

  it('when no options are given, then the trace is not sampled', () => {
    expect(parseCloudTraceContext('105445aa7843bc8bf206b12000100000/255')?.sampled).toBe(false)
  })

  it.each([
    ['a span over 64 bits', '105445aa7843bc8bf206b12000100000/18446744073709551616;o=1'],
    ['a zero span', '105445aa7843bc8bf206b12000100000/0;o=1'],
    ['no span', '105445aa7843bc8bf206b12000100000'],
    ['a hex span', '105445aa7843bc8bf206b12000100000/abc;o=1'],
    ['a bad option', '105445aa7843bc8bf206b12000100000/1;o=7'],
  ])('when it has %s, then it is ignored', (_case, header) => {
    expect(parseCloudTraceContext(header)).toBeUndefined()
  })
})

describe('readIncomingTrace', () => {
  it('when traceparent is malformed, then X-Cloud-Trace-Context is used instead', () => {
    expect(readIncomingTrace({ traceparent: 'nonsense', 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/16;o=1' }))
      .toStrictEqual({ traceId: '105445aa7843bc8bf206b12000100000', spanId: '0000000000000010', sampled: true })
  })

  it('when a header is repeated, then it is ignored', () => {
    expect(readIncomingTrace({ traceparent: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x'] })).toBeUndefined()
  })
})
