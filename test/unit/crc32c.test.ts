import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/secrets/crc32c.ts'

describe('crc32c', () => {
  // Check values from RFC 3720 appendix B.4 (iSCSI uses CRC-32C) and the
  // CRC catalogue's "123456789" check value for CRC-32/ISCSI.
  it.each([
    ['the empty input', Buffer.alloc(0), 0],
    ['"123456789"', Buffer.from('123456789'), 0xE3069283],
    ['32 bytes of zeros', Buffer.alloc(32, 0x00), 0x8A9136AA],
    ['32 bytes of 0xff', Buffer.alloc(32, 0xFF), 0x62A8AB43],
    ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46DD794E],
  ])('when given %s, then it returns the published check value', (_name, data, expected) => {
    expect(crc32c(data)).toBe(expected)
  })
})
