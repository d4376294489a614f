import { describe, expect, it } from 'vitest'
import { parseCloudTraceContext } from '../../src/telemetry/cloud-trace-propagator.ts'

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
