import { describe, expect, it } from 'vitest'
import { createCensor } from '../../src/logging/censor.ts'

describe('createCensor', () => {
  it('when a line contains a known value, raw or JSON-escaped, then every occurrence is replaced', () => {
    const censor = createCensor(['s3cret"value\\1', 'another-secret'])
    const line = JSON.stringify({ a: 's3cret"value\\1', b: 'x another-secret y another-secret' })
    expect(censor?.(line)).toBe('{"a":"[REDACTED]","b":"x [REDACTED] y [REDACTED]"}')
  })

  it('when one value contains another, then the longer one is censored whole', () => {
    expect(createCensor(['password', 'password-123'])?.('password-123')).toBe('[REDACTED]')
  })

  it('when the values are all shorter than 8 characters, then there is nothing to censor', () => {
    expect(createCensor(['true', 'debug', '8080'])).toBeUndefined()
  })
})
