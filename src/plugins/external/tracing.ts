import fp from 'fastify-plugin'
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import { clientAddress, clientScheme } from '../../http/client-address.ts'
import { createPathFilter } from '../../telemetry/ignored-paths.ts'
import type { SpanStarter } from '../../telemetry/unrecorded-tracer.ts'

// One SERVER span per request, from the OpenTelemetry SDK
// (src/telemetry/tracing-sdk.ts): it continues the caller's trace (W3C
// traceparent, or X-Cloud-Trace-Context), is named after the route's
// template ("GET /upstream") and carries http.route, and the rest of the
// request runs in its context, so that log lines name it and outbound calls
// send it on as traceparent. Registered first, so that every later hook runs
// inside it. Probes (TRACE_IGNORED_PATHS) get none.
//
// This replaces @opentelemetry/instrumentation-http and @fastify/otel, which
// made three spans a request and, measured with `npm run bench`, cost more
// CPU per request than all the rest of the service (docs/tracing.md).

export interface TracingOptions {
  /** From the tracing SDK; undefined when tracing is off, and then no request has a span. */
  tracer: SpanStarter | undefined
  ignoredPaths: readonly string[]
  /** TRUST_PROXY_HOPS, for client.address and url.scheme. */
  trustedHops: number
}

export default fp<TracingOptions>(async function tracingPlugin (app, { tracer, ignoredPaths, trustedHops }) {
  app.decorateRequest('serverSpan', null)
  app.decorateRequest('serverSpanError', null)
  if (tracer === undefined) return
  const ignored = createPathFilter(ignoredPaths)

  // Callback hooks, not async ones: no promise per request.
  app.addHook('onRequest', function startServerSpan (request, _reply, done) {
    if (ignored(request.url)) {
      done()
      return
    }
    const parent = propagation.extract(ROOT_CONTEXT, request.headers)
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent)
    // Name and attributes only for a span that keeps them: a sampled-out or
    // unexported one would drop them. Fastify's routeOptions builds a new
    // object on every read, so only a recorded span pays for the route.
    if (span.isRecording()) {
      const route = request.routeOptions.url
      if (route !== undefined) span.updateName(`${request.method} ${route}`)
      const query = request.url.indexOf('?')
      const client = clientAddress(request.raw, trustedHops)
      // Stable HTTP semantic conventions: https://opentelemetry.io/docs/specs/semconv/http/http-spans/
      // The query string is left out: it can carry tokens.
      span.setAttributes({
        'http.request.method': request.method,
        'url.scheme': clientScheme(request.raw, trustedHops),
        'url.path': query === -1 ? request.url : request.url.slice(0, query),
        'network.protocol.version': request.raw.httpVersion,
        ...(route === undefined ? {} : { 'http.route': route }),
        ...(request.headers['user-agent'] === undefined ? {} : { 'user_agent.original': request.headers['user-agent'] }),
        ...(client === undefined ? {} : { 'client.address': client }),
      })
    }
    request.serverSpan = span
    context.with(trace.setSpan(parent, span), done)
  })

  app.addHook('onError', function noteServerSpanError (request, _reply, error, done) {
    request.serverSpanError = error
    done()
  })

  app.addHook('onResponse', function endServerSpan (request, reply, done) {
    const span = request.serverSpan
    if (span !== null) {
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', reply.statusCode)
        // A 5xx is the server's failure; a 4xx is the client's, and leaves the span's status unset.
        if (reply.statusCode >= 500) {
          const error = request.serverSpanError
          if (error !== null) span.recordException(error)
          span.setStatus({ code: SpanStatusCode.ERROR, ...(error === null ? {} : { message: error.message }) })
        }
      }
      span.end()
    }
    done()
  })
}, { name: 'tracing' })

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span; null for probes and when tracing is off. */
    serverSpan: Span | null
    /** The error the request failed with, if any, for the span's status. */
    serverSpanError: Error | null
  }
}
