import fp from 'fastify-plugin'
import { TraceFlags } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config/load-config.ts'
import type { ProjectIdResolver } from '../../gcp/project-id.ts'
import { clientAddress, clientScheme } from '../../http/client-address.ts'
import { lineWriterOf } from '../../logging/cloud-logging.ts'
import { capLoggedField } from '../../logging/field-limit.ts'
import { formatRequestLine, traceNamePrefix, type RequestLine } from '../../logging/request-line.ts'

// Two jobs, both about Cloud Logging:
// 1. Every line logged while a request is handled carries the trace fields,
//    so Logs Explorer groups a request's lines under its trace. The logger's
//    mixin (src/logging/cloud-logging.ts) writes them from the active span;
//    this plugin only makes sure the project they name is known first.
// 2. One httpRequest line per finished request (LOG_REQUESTS), which Cloud
//    Logging renders like a load balancer's request log. Probes and shed
//    requests get none: a probe every few seconds is noise, and a shed 503
//    is counted by load shedding's own WARNING.

export interface RequestLoggingOptions {
  config: Config
  projectId: ProjectIdResolver
}

/**
 * The request line's fields, from what the client sent and what the service
 * trusts. Only the request's own Host names the host: X-Forwarded-Host is
 * whatever the client put there, since Google's front end passes it on.
 * The scheme and the client's address come from X-Forwarded-Proto and
 * X-Forwarded-For only as far as TRUST_PROXY_HOPS trusts them.
 */
function requestLineOf (request: FastifyRequest, reply: FastifyReply, trustedHops: number, projectId: ProjectIdResolver): RequestLine {
  const url = request.url
  // An absolute-form target ("GET http://example.com/ HTTP/1.1") already names scheme and host.
  const requestUrl = url.startsWith('/') ? `${clientScheme(request.raw, trustedHops)}://${request.headers.host ?? ''}${url}` : url
  const size = reply.getHeader('content-length')
  const spanContext = request.serverSpan?.spanContext()
  const project = projectId.current
  return {
    severity: reply.statusCode >= 500 ? 'ERROR' : 'INFO',
    method: request.method,
    requestUrl: capLoggedField(requestUrl),
    target: capLoggedField(url),
    status: reply.statusCode,
    latencyMs: reply.elapsedTime,
    userAgent: request.headers['user-agent'] === undefined ? undefined : capLoggedField(request.headers['user-agent']),
    remoteIp: clientAddress(request.raw, trustedHops),
    httpVersion: request.raw.httpVersion,
    responseSize: size === undefined ? undefined : String(size),
    trace: spanContext === undefined
      ? undefined
      : { traceId: spanContext.traceId, spanId: spanContext.spanId, sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED },
    traceNamePrefix: project === undefined ? undefined : traceNamePrefix(project),
  }
}

export default fp<RequestLoggingOptions>(async function requestLoggingPlugin (app, { config, projectId }) {
  // Named functions: stack traces and profiles name each hook after its function.
  // Only where the project can still be learnt (on Cloud Run without
  // GOOGLE_CLOUD_PROJECT): once it is known, or where it never can be, no
  // request pays for the hook. A callback hook rather than an async one:
  // almost every request returns at once, and should not pay for a promise.
  if (projectId.worthAsking) {
    app.addHook('onRequest', function resolveTraceProject (request, _reply, done) {
      if (!projectId.worthAsking || request.serverSpan === null) {
        done()
        return
      }
      // The first traced request waits about a millisecond for the metadata
      // server; later ones find the project known.
      projectId.resolve().then(() => done(), done)
    })
  }

  if (!config.LOG_REQUESTS) return
  // Probes get no line. They are marked by a hook of their own routes, so that
  // the line's hook need not read Fastify's routeOptions (a new object on every
  // read) for every other request.
  app.decorateRequest('probe', false)
  app.addHook('onRoute', (route) => {
    if (route.config?.probe !== true) return
    route.onRequest = [...[route.onRequest ?? []].flat(), function markProbe (request, _reply, done) {
      request.probe = true
      done()
    }]
  })
  const trustedHops = config.TRUST_PROXY_HOPS
  // The line's timestamp, formatted once a millisecond: many lines share one under load.
  let timestampMs = Number.NaN
  let timestamp = ''
  function now (): string {
    const nowMs = Date.now()
    if (nowMs !== timestampMs) {
      timestampMs = nowMs
      timestamp = new Date(nowMs).toISOString()
    }
    return timestamp
  }
  // The JSON logger's own destination; a pretty-printing logger (npm run dev) has none.
  const writeLine = lineWriterOf(app.log)
  // LOG_LEVEL, as the logger applies it to every other line.
  const infoEnabled = ['trace', 'debug', 'info'].includes(config.LOG_LEVEL)
  const errorEnabled = infoEnabled || ['warn', 'error'].includes(config.LOG_LEVEL)

  app.addHook('onResponse', function writeRequestLine (request, reply, done) {
    const skipped = request.probe || request.shed ||
      !(reply.statusCode >= 500 ? errorEnabled : infoEnabled)
    if (!skipped) {
      const line = requestLineOf(request, reply, trustedHops, projectId)
      if (writeLine !== undefined) {
        writeLine(formatRequestLine(line, now()))
      } else {
        // npm run dev: through the pretty logger, whose mixin adds trace fields
        // only if the server span is still the active one here.
        const httpRequest = {
          requestMethod: line.method,
          requestUrl: line.requestUrl,
          status: line.status,
          latency: `${(line.latencyMs / 1_000).toFixed(6)}s`,
          userAgent: line.userAgent,
          remoteIp: line.remoteIp,
          protocol: `HTTP/${line.httpVersion}`,
          responseSize: line.responseSize,
        }
        request.log[line.severity === 'ERROR' ? 'error' : 'info']({ httpRequest }, `${line.method} ${line.target} ${line.status}`)
      }
    }
    done()
  })
}, { name: 'request-logging', dependencies: ['tracing', 'load-shedding'] })

declare module 'fastify' {
  interface FastifyRequest {
    /** A health or readiness probe (config.probe): no request line. */
    probe: boolean
  }
}
