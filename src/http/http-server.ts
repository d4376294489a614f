import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { errors } from '../errors/catalogue.ts'
import { rejectRequest } from './error-response.ts'
import { limitPipelining } from './pipelining.ts'
import type { SecurityHeaders } from './security-headers.ts'

// The Node HTTP server Fastify runs on (its serverFactory), set up for life
// behind Google's front end (GFE), and for a graceful drain.

/** Longer than the GFE's 600 s idle timeout towards backends, so the GFE, not we, closes idle keep-alive connections and never races a request into a closing socket. */
const KEEP_ALIVE_TIMEOUT_MS = 620_000
/** A request must arrive (headers and body) within 30 s; bodies are small (BODY_LIMIT_BYTES), so only a stalled or hostile client takes longer. */
const REQUEST_TIMEOUT_MS = 30_000
/** Headers must arrive within 10 s: the GFE sends them at once, so anything slower is not the GFE. */
const HEADERS_TIMEOUT_MS = 10_000
/** Node checks the two timeouts above on this interval, 30 s by default, so they fired up to 30 s late (at 20 s and 35–50 s). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000
/** A socket silent for longer than Cloud Run's maximum request timeout (60 min) is dead; above the keep-alive timeout so idle keep-alive sockets are closed by that instead. */
const CONNECTION_TIMEOUT_MS = 3_600_000 + 60_000
/**
 * How long a keep-alive connection that has carried no request since the
 * drain began is left open. Cloud Run stops routing to the instance before
 * SIGTERM, so any request still on its way is on the wire already, and
 * arrives within milliseconds; after this, closing cannot race one.
 */
const IDLE_CLOSE_GRACE_MS = 1_000

/**
 * RFC 9112 §3.2: a Host with an invalid value, or given twice (joined into
 * "a, b" below), gets 400. Authority syntax from RFC 3986: a bracketed IP
 * literal or a reg-name, then an optional port. Empty is valid.
 */
const VALID_HOST = /^(?:\[[\dA-Fa-f:.]+\]|[\w\-.~!$&'()*+,;=%]*)(?::\d*)?$/

export interface HttpServerOptions {
  logger: FastifyBaseLogger
  securityHeaders: SecurityHeaders
}

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void

export function createHttpServer (fastifyHandler: RequestHandler, { logger, securityHeaders }: HttpServerOptions): http.Server {
  let draining = false
  const sockets = new Set<net.Socket>()
  const handleAdmitted = limitPipelining(fastifyHandler)

  function handleRequest (request: IncomingMessage, response: ServerResponse): void {
    const host = request.headers.host
    const http11 = request.httpVersionMajor === 1 && request.httpVersionMinor === 1
    if (host === undefined ? http11 : !VALID_HOST.test(host)) {
      logger.warn({ code: errors.BAD_REQUEST.code, reason: host === undefined ? 'missing_host' : 'invalid_host', remoteIp: request.socket.remoteAddress },
        'Rejected a request with a missing, repeated or invalid Host header')
      rejectRequest(response, errors.BAD_REQUEST, securityHeaders)
      return
    }
    // Once the drain has begun, every response closes its connection.
    if (draining) response.setHeader('connection', 'close')
    handleAdmitted(request, response)
  }

  const server = http.createServer({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    // Checked above, so that the 400 has the service's shape and a log line.
    requireHostHeader: false,
    // A repeated header becomes one value, "a, b", instead of the first one
    // silently winning: a repeated Host then fails the check above.
    joinDuplicateHeaders: true,
  }, handleRequest)
  server.setTimeout(CONNECTION_TIMEOUT_MS)
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  // Node's close() also closes every idle keep-alive connection at once. An
  // idle connection may have a request on the wire, which the close would
  // reset: under load, about one per connection. So close() here only stops
  // accepting, at once: no response says `Connection: close` before the
  // listener is closed, so no client can reconnect into a closing listener. Responses already under way, and all later ones, carry
  // `Connection: close`, so busy connections end after their next response;
  // connections that stay idle are closed after IDLE_CLOSE_GRACE_MS. Node
  // calls a connection idle until it has read its next request, and timers
  // run before a loop iteration reads the sockets: after a stall (a slow
  // stdout, a long GC), a request can be waiting unread in the kernel. So the
  // close waits for setImmediate, which runs after that iteration's reads.
  server.close = function closeGracefully (callback?: (error?: Error) => void) {
    draining = true
    for (const socket of sockets) {
      const response = (socket as net.Socket & { _httpMessage?: ServerResponse | null })._httpMessage
      if (response != null && !response.headersSent) response.setHeader('connection', 'close')
    }
    // Connections the kernel has completed but Node has not yet accepted hold
    // requests sent before the drain began; closing the listener now would
    // reset them. The next loop iteration's poll phase accepts them, and its
    // check phase (the second setImmediate) stops listening.
    net.Server.prototype.close.call(server, callback)
    const idleCloser = setInterval(() => setImmediate(() => server.closeIdleConnections()), IDLE_CLOSE_GRACE_MS)
    server.once('close', () => clearInterval(idleCloser))
    return server
  }
  return server
}
