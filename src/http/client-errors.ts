import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { errors, type ErrorDefinition } from '../errors/catalogue.ts'
import { errorBody, errorHeaders } from './error-response.ts'
import type { SecurityHeaders } from './security-headers.ts'

// Node's HTTP parser rejects some requests before Fastify ever sees them:
// headers or a request line over the size limit, a malformed Content-Length,
// a request that arrives too slowly. Node's own answer is a bare status line;
// this one has the shape, headers and log line of every other error.

function definitionFor (code: string | undefined): ErrorDefinition {
  if (code === 'HPE_HEADER_OVERFLOW') return errors.HEADERS_TOO_LARGE
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.REQUEST_TIMEOUT
  return errors.BAD_REQUEST
}

export interface ClientErrorOptions {
  logger: FastifyBaseLogger
  securityHeaders: SecurityHeaders
}

export function createClientErrorHandler ({ logger, securityHeaders }: ClientErrorOptions) {
  return function clientErrorHandler (error: Error & { code?: string }, socket: Socket): void {
    // A client that went away gets nothing; writing would only raise EPIPE.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const definition = definitionFor(error.code)
    // One line per rejected request; the parser's reason, never the bytes it choked on.
    logger.warn({ code: definition.code, reason: error.code, remoteIp: socket.remoteAddress },
      `Rejected a request the HTTP parser could not accept: ${error.code ?? 'unknown reason'}`)
    const body = errorBody(definition)
    const head = Object.entries(errorHeaders(securityHeaders, body)).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    socket.end(`HTTP/1.1 ${definition.statusCode} ${STATUS_CODES[definition.statusCode] ?? ''}\r\n${head}\r\n${body}`)
  }
}
