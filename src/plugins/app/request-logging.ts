import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { trace } from '@opentelemetry/api'
import type { Config } from '../../config/load-config.ts'
import type { ProjectIdResolver } from '../../gcp/project-id.ts'

// Two jobs, both about Cloud Logging:
// 1. Every line logged while a request is handled carries the trace fields,
//    so Logs Explorer groups a request's lines under its trace. The logger's
//    mixin (src/logging/cloud-logging.ts) writes them from the active span;
//    this plugin only makes sure the project they name is known first.
// 2. One httpRequest line per finished request (LOG_REQUESTS), which Cloud
//    Logging renders like a load balancer's request log.

export interface RequestLoggingOptions {
  config: Config
  projectId: ProjectIdResolver
}

/** Cloud Logging's Duration format: seconds with a fractional part and an "s". */
export function formatLatency (elapsedMs: number): string {
  return `${(elapsedMs / 1_000).toFixed(6)}s`
}

export function httpRequestFields (request: FastifyRequest, reply: FastifyReply) {
  const responseSize = reply.getHeader('content-length')
  return {
    requestMethod: request.method,
    requestUrl: `${request.protocol}://${request.host}${request.url}`,
    status: reply.statusCode,
    latency: formatLatency(reply.elapsedTime),
    userAgent: request.headers['user-agent'],
    remoteIp: request.ip,
    protocol: `HTTP/${request.raw.httpVersion}`,
    responseSize: responseSize === undefined ? undefined : String(responseSize),
  }
}

export default fp<RequestLoggingOptions>(async function requestLoggingPlugin (app, { config, projectId }) {
  // Named functions: @fastify/otel names each hook's span after its function.
  // A callback hook rather than an async one: almost every request returns at
  // once, and should not pay for a promise to do so.
  app.addHook('onRequest', function resolveTraceProject (_request, _reply, done) {
    if (!projectId.worthAsking || trace.getActiveSpan() === undefined) {
      done()
      return
    }
    // The first traced request on Cloud Run without GOOGLE_CLOUD_PROJECT waits
    // about a millisecond for the metadata server; later ones find it known.
    projectId.resolve().then(() => done(), done)
  })

  if (config.LOG_REQUESTS) {
    app.addHook('onResponse', async function writeRequestLine (request, reply) {
      if (request.routeOptions.config.probe === true || request.shed) return
      const httpRequest = httpRequestFields(request, reply)
      const message = `${httpRequest.requestMethod} ${request.url} ${httpRequest.status}`
      if (reply.statusCode >= 500) request.log.error({ httpRequest }, message)
      else request.log.info({ httpRequest }, message)
    })
  }
}, { name: 'request-logging', dependencies: ['load-shedding'] })
