import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

// HTTP/1.1 pipelining lets a client send requests without waiting for the
// answers. Node parses every request that arrives and would hand each one to
// the app at once, answering them in order later: one connection that sent
// 20,000 GETs (800 KB) held them all in flight, and RSS went from 101 to
// 477 MiB. Here a connection has at most MAX_PIPELINED_REQUESTS in the app;
// the rest wait, already parsed, and the socket stops reading until they
// have been let in. Nothing is refused, nothing is lost: a pipelining client
// is only served a few requests at a time, and waiting ones are let in on a
// later turn of the event loop, so that one connection's backlog cannot
// keep every other connection waiting. Google's front end never pipelines;
// load tools do, a handful deep.

/** Requests of one connection in the app at once. */
export const MAX_PIPELINED_REQUESTS = 16

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void

interface Backlog {
  /** Parsed requests not yet handed to the app. */
  waiting: Array<[IncomingMessage, ServerResponse]>
  /** Requests in the app whose response is queued behind another one on this connection. */
  queuedInApp: number
  /** A turn of the event loop will let waiting requests in. */
  letInScheduled: boolean
}

const kBacklog = Symbol('pipelining backlog')
type TrackedSocket = Socket & { [kBacklog]?: Backlog }

export function limitPipelining (handler: RequestHandler, maxInApp = MAX_PIPELINED_REQUESTS): RequestHandler {
  function admit (request: IncomingMessage, response: ServerResponse, socket: TrackedSocket, backlog: Backlog): void {
    // A response with no socket yet waits behind an earlier one; it gets the
    // socket (the 'socket' event) when every earlier one has finished.
    if (response.socket === null) {
      backlog.queuedInApp++
      response.once('socket', () => {
        backlog.queuedInApp--
        if (!backlog.letInScheduled && backlog.waiting.length > 0) {
          backlog.letInScheduled = true
          setImmediate(letIn, socket, backlog)
        }
      })
    }
    handler(request, response)
  }

  function letIn (socket: TrackedSocket, backlog: Backlog): void {
    backlog.letInScheduled = false
    while (backlog.waiting.length > 0 && backlog.queuedInApp + 1 < maxInApp) {
      const [request, response] = backlog.waiting.shift() as [IncomingMessage, ServerResponse]
      if (!response.destroyed) admit(request, response, socket, backlog)
    }
    if (backlog.waiting.length === 0) socket.resume()
  }

  return function pipeliningLimitedHandler (request, response) {
    const socket = request.socket as TrackedSocket
    let backlog = socket[kBacklog]
    if (backlog === undefined) {
      // Almost every request: the only one in flight on its connection.
      if (response.socket !== null) {
        handler(request, response)
        return
      }
      const created: Backlog = { waiting: [], queuedInApp: 0, letInScheduled: false }
      socket[kBacklog] = backlog = created
      socket.once('close', () => { created.waiting.length = 0 })
      // Node resumes the socket itself when its own write backpressure
      // clears; while requests wait here, it stays paused.
      socket.on('resume', () => { if (created.waiting.length > 0) socket.pause() })
    }
    // The current response counts as one in the app, hence the + 1.
    if (backlog.waiting.length === 0 && (response.socket !== null || backlog.queuedInApp + 1 < maxInApp)) {
      admit(request, response, socket, backlog)
    } else {
      backlog.waiting.push([request, response])
      socket.pause()
    }
  }
}
