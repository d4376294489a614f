// CRC-32C (Castagnoli), the checksum Secret Manager sends as `data_crc32c`:
// https://cloud.google.com/secret-manager/docs/data-integrity
// Node's zlib.crc32 is the other CRC-32 (IEEE 802.3), so it cannot be used.
// A table-driven loop is enough for payloads of at most 64 KiB (Secret
// Manager's limit) and saves a dependency.

/** Reflected form of the Castagnoli polynomial 0x1EDC6F41. */
const POLYNOMIAL = 0x82F63B78

function buildTable (): Uint32Array {
  const table = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1
    table[byte] = crc
  }
  return table
}

let table: Uint32Array | undefined

/** The CRC-32C of `data`, as an unsigned 32-bit integer. */
export function crc32c (data: Uint8Array): number {
  table ??= buildTable() // built on first use, not at import time
  let crc = 0xFFFFFFFF
  for (const byte of data) crc = (table[(crc ^ byte) & 0xFF] as number) ^ (crc >>> 8)
  return (crc ^ 0xFFFFFFFF) >>> 0
}
