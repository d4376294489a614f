import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config/load-config.ts'
import type { MetadataServer } from '../../gcp/metadata-server.ts'
import { readIncomingTrace, traceLogFields } from '../../logging/trace-context.ts'

// Two jobs, both about Cloud Logging:
// 1. Every line logged while a request is handled carries the trace fields,
//    so Logs Explorer groups a request's lines under its trace.
// 2. One httpRequest line per finished request (LOG_REQUESTS), which Cloud
//    Logging renders like a load balancer's request log.

export interface RequestLoggingOptions {
  config: Config
  metadata: MetadataServer
}

/** Resolves the project for trace fields once: from config, else lazily from the metadata server. */
export function createProjectIdResolver (config: Config, metadata: MetadataServer) {
  let known = config.GOOGLE_CLOUD_PROJECT
  return {
    get current (): string | undefined { return known },
    async resolve (): Promise<string | undefined> {
      known ??= await metadata.get('project/project-id')
      return known
    },
  }
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

export default fp<RequestLoggingOptions>(async function requestLoggingPlugin (app, { config, metadata }) {
  const projectId = createProjectIdResolver(config, metadata)

  app.addHook('onRequest', async (request, reply) => {
    const trace = readIncomingTrace(request.headers)
    if (trace === undefined) return
    // The first request on Cloud Run without GOOGLE_CLOUD_PROJECT waits about
    // a millisecond for the metadata server; every later one reads the cache.
    const project = projectId.current ?? await projectId.resolve()
    request.log = request.log.child(traceLogFields(trace, project))
    reply.log = request.log
  })

  if (config.LOG_REQUESTS) {
    app.addHook('onResponse', async (request, reply) => {
      if (request.routeOptions.config.probe === true) return
      const httpRequest = httpRequestFields(request, reply)
      const message = `${httpRequest.requestMethod} ${request.url} ${httpRequest.status}`
      if (reply.statusCode >= 500) request.log.error({ httpRequest }, message)
      else request.log.info({ httpRequest }, message)
    })
  }
}, { name: 'request-logging' })
