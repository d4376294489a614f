import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyBaseLogger } from 'fastify'
import type { Config } from './config/load-config.ts'
import { toErrorResponse } from './errors/classify.ts'
import { createMetadataServer, type MetadataServer } from './gcp/metadata-server.ts'
import { createProjectIdResolver, type ProjectIdResolver } from './gcp/project-id.ts'
import { createClientErrorHandler } from './http/client-errors.ts'
import { createHttpServer } from './http/http-server.ts'
import { createSecurityHeaders } from './http/security-headers.ts'
import type { SpanStarter } from './telemetry/unrecorded-tracer.ts'
import { capLoggedField } from './logging/field-limit.ts'
import tracing from './plugins/external/tracing.ts'
import helmet from './plugins/external/helmet.ts'
import readiness from './plugins/app/readiness.ts'
import loadShedding from './plugins/app/load-shedding.ts'
import requestLogging from './plugins/app/request-logging.ts'
import errorHandler from './plugins/app/error-handler.ts'
import upstreamClient from './plugins/app/upstream-client.ts'
import hello from './routes/hello.ts'
import health from './routes/health.ts'
import upstream from './routes/upstream.ts'

export interface AppDependencies {
  logger: FastifyBaseLogger
  /** The clock behind the greeting's timestamp. */
  now?: () => Date
  metadata?: MetadataServer
  /** The project named in log lines' trace field; shared with the logger's mixin. */
  projectId?: ProjectIdResolver
  /** Starts each request's SERVER span (from the tracing SDK); absent when tracing is off. */
  serverSpans?: SpanStarter
  /**
   * Plugins registered after the app's own and before the routes, so that
   * their onRoute hooks see every route (wrap them in fastify-plugin).
   * `npm run openapi` registers @fastify/swagger here; production, none.
   */
  beforeRoutes?: FastifyPluginAsync[]
  /** Extra routes, registered last. Tests use it for slow or failing routes. */
  routes?: FastifyPluginAsync[]
}

export async function buildApp (config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const securityHeaders = createSecurityHeaders()
  const app = Fastify({
    // Node's server, set up for Google's front end: timeouts, a bound on
    // pipelining, Host checks and a drain that resets no request
    // (src/http/http-server.ts).
    serverFactory: (handler) => createHttpServer(handler, { logger: deps.logger, securityHeaders }),
    // That server's close() leaves idle connections to its own grace period.
    forceCloseConnections: false,
    loggerInstance: deps.logger,
    // request-logging.ts writes one Cloud Logging line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is the app's logger itself, not a child made for each
    // request to bind a reqId: Cloud Logging groups a request's lines by the
    // trace fields instead, and a pino child per request (its bindings and
    // redaction set up anew) was a measurable share of the CPU per request.
    childLoggerFactory: (logger) => logger,
    // Trust the last N X-Forwarded-For hops (Google's front end appends the
    // client's address), so request.ip is the client and cannot be spoofed by
    // a header the client sent itself.
    trustProxy: (_address, hop) => hop < config.TRUST_PROXY_HOPS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Requests that arrive on a kept-alive connection during the drain are
    // served, not refused: Cloud Run has already stopped routing new ones here.
    return503OnClosing: false,
    clientErrorHandler: createClientErrorHandler({ logger: deps.logger, securityHeaders }),
    // Errors Fastify raises before routing (a bad percent-encoding in the
    // URL), before any hook has run: so the security headers are set here.
    frameworkErrors (error, request, reply) {
      const response = toErrorResponse(error)
      request.log.warn({ code: response.body.code, reason: error.code }, capLoggedField(`Rejected a request Fastify could not route: ${error.message}`))
      ;(reply as FastifyReply).code(response.statusCode).headers(securityHeaders).header('cache-control', 'no-store').send(response.body)
    },
  })

  // The folders show the order things start in: external plugins, then the
  // app's own plugins, then routes.
  await app.register(tracing, { tracer: deps.serverSpans, ignoredPaths: config.TRACE_IGNORED_PATHS, trustedHops: config.TRUST_PROXY_HOPS })
  await app.register(helmet, { headers: securityHeaders })
  await app.register(readiness)
  await app.register(loadShedding, { maxEventLoopDelayMs: config.SHED_EVENT_LOOP_DELAY_MS })
  const projectId = deps.projectId ?? createProjectIdResolver(config, deps.metadata ?? createMetadataServer(config))
  await app.register(requestLogging, { config, projectId })
  await app.register(errorHandler)
  await app.register(upstreamClient, { config })
  for (const plugin of deps.beforeRoutes ?? []) await app.register(plugin)

  await app.register(health)
  await app.register(hello, { config, now: deps.now ?? (() => new Date()) })
  await app.register(upstream)
  for (const routes of deps.routes ?? []) await app.register(routes)

  return app
}
