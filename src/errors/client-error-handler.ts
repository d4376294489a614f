import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { errors, type ErrorDefinition } from './catalogue.ts'

// Node's HTTP parser rejects some requests before Fastify ever sees them:
// headers or a request line over the size limit, a malformed Content-Length,
// a request that arrives too slowly. Fastify's default answer has another
// shape; this one keeps `{ code, message }` for those too.

function definitionFor (code: string | undefined): ErrorDefinition {
  if (code === 'HPE_HEADER_OVERFLOW') return errors.HEADERS_TOO_LARGE
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.REQUEST_TIMEOUT
  return errors.BAD_REQUEST
}

export function clientErrorHandler (error: Error & { code?: string }, socket: Socket): void {
  // A client that went away gets nothing; writing would only raise EPIPE.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const definition = definitionFor(error.code)
  const body = JSON.stringify({ code: definition.code, message: definition.message })
  socket.end(
    `HTTP/1.1 ${definition.statusCode} ${STATUS_CODES[definition.statusCode] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  )
}
