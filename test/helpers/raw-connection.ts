import net from 'node:net'
import { once } from 'node:events'
import { onTestFinished } from 'vitest'

// One HTTP/1.1 connection that sends bytes exactly as given and reads the
// responses as a client sees them: status, headers, body. Malformed requests
// need it (a fetch would refuse to send them), and so does a kept-alive
// connection that must outlive the start of a drain.

export interface RawResponse {
  status: number
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
}

interface Parsed { response: RawResponse, length: number }

/** One complete response at the start of `buffer`, or undefined while more bytes are needed. */
function parseResponse (buffer: Buffer, method: string, closed: boolean): Parsed | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n')
  if (headEnd === -1) return undefined
  const [statusLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1])
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  const bodyStart = headEnd + 4
  if (method === 'HEAD' || status === 204 || status === 304) return { response: { status, headers, body: '' }, length: bodyStart }
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = []
    for (let at = bodyStart; ;) {
      const lineEnd = buffer.indexOf('\r\n', at)
      if (lineEnd === -1) return undefined
      const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16)
      if (buffer.length < lineEnd + 2 + size + 2) return undefined
      if (size === 0) return { response: { status, headers, body: Buffer.concat(chunks).toString('utf8') }, length: lineEnd + 4 }
      chunks.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
  if (headers['content-length'] !== undefined) {
    const end = bodyStart + Number(headers['content-length'])
    return buffer.length < end ? undefined : { response: { status, headers, body: buffer.subarray(bodyStart, end).toString('utf8') }, length: end }
  }
  // No length: the body ends with the connection.
  return closed ? { response: { status, headers, body: buffer.subarray(bodyStart).toString('utf8') }, length: buffer.length } : undefined
}

export interface RawConnection {
  /** Sends `bytes` and resolves with the next response; `method` tells it whether a body follows. */
  exchange: (bytes: string, method?: string) => Promise<RawResponse>
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>
}

/** A connection to 127.0.0.1:port, destroyed when the test finishes. */
export async function openConnection (port: number, { timeoutMs = 15_000 } = {}): Promise<RawConnection> {
  const socket = net.connect({ host: '127.0.0.1', port })
  onTestFinished(() => { socket.destroy() })
  socket.on('error', () => {})
  let buffer = Buffer.alloc(0)
  let ended = false
  let wake: (() => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    wake?.()
  })
  const closed = once(socket, 'close').then(() => {
    ended = true
    wake?.()
  })
  await once(socket, 'connect')

  async function exchange (bytes: string, method = bytes.slice(0, bytes.indexOf(' '))): Promise<RawResponse> {
    socket.write(bytes)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const parsed = parseResponse(buffer, method, ended)
      if (parsed !== undefined) {
        buffer = buffer.subarray(parsed.length)
        return parsed.response
      }
      if (ended) throw new Error(`the connection closed before a whole response arrived: ${JSON.stringify(buffer.toString('latin1').slice(0, 300))}`)
      if (Date.now() > deadline) throw new Error(`no whole response within ${timeoutMs} ms`)
      await Promise.race([new Promise<void>((resolve) => { wake = resolve }), new Promise((resolve) => setTimeout(resolve, 100))])
    }
  }
  return { exchange, closed }
}

/** One request on a connection of its own, closed after the response. */
export async function rawExchange (port: number, bytes: string, options?: { timeoutMs?: number }): Promise<RawResponse> {
  const connection = await openConnection(port, options)
  return connection.exchange(bytes)
}
