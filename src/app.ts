import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyReply, type FastifyBaseLogger } from 'fastify'
import type { Config } from './config/load-config.ts'
import { clientErrorHandler } from './errors/client-error-handler.ts'
import { toErrorResponse } from './errors/classify.ts'
import { createMetadataServer, type MetadataServer } from './gcp/metadata-server.ts'
import { createProjectIdResolver, type ProjectIdResolver } from './gcp/project-id.ts'
import tracing from './plugins/external/tracing.ts'
import helmet from './plugins/external/helmet.ts'
import lifecycle from './plugins/app/lifecycle.ts'
import loadShedding from './plugins/app/load-shedding.ts'
import requestLogging from './plugins/app/request-logging.ts'
import errorHandler from './plugins/app/error-handler.ts'
import upstreamClient from './plugins/app/upstream-client.ts'
import hello from './routes/hello.ts'
import health from './routes/health.ts'
import upstream from './routes/upstream.ts'

// Server timeouts for life behind Google's front end (GFE).
/** Longer than the GFE's 600 s idle timeout towards backends, so the GFE, not we, closes idle keep-alive connections and never races a request into a closing socket. */
const KEEP_ALIVE_TIMEOUT_MS = 620_000
/** A request must arrive (headers and body) within 30 s; bodies are small (BODY_LIMIT_BYTES), so only a stalled or hostile client takes longer. */
const REQUEST_TIMEOUT_MS = 30_000
/** Headers must arrive within 10 s: the GFE sends them at once, so anything slower is not the GFE. */
const HEADERS_TIMEOUT_MS = 10_000
/** A socket silent for longer than Cloud Run's maximum request timeout (60 min) is dead; above the keep-alive timeout so idle keep-alive sockets are closed by that instead. */
const CONNECTION_TIMEOUT_MS = 3_600_000 + 60_000

export interface AppDependencies {
  logger: FastifyBaseLogger
  /** The clock behind the greeting's timestamp. */
  now?: () => Date
  metadata?: MetadataServer
  /** The project named in log lines' trace field; shared with the logger's mixin. */
  projectId?: ProjectIdResolver
  /** @fastify/otel's plugin from the tracing SDK; absent when tracing is off. */
  fastifyOtel?: FastifyPluginCallback
  /** Extra routes, registered last. Tests use it for slow or failing routes. */
  routes?: FastifyPluginAsync[]
}

export async function buildApp (config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // request-logging.ts writes one Cloud Logging line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Trust the last N X-Forwarded-For hops (Google's front end appends the
    // client's address), so request.ip is the client and cannot be spoofed by
    // a header the client sent itself.
    trustProxy: (_address, hop) => hop < config.TRUST_PROXY_HOPS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS },
    // Requests that arrive on a kept-alive connection during the drain are
    // served, not refused: Cloud Run has already stopped routing new ones here.
    return503OnClosing: false,
    clientErrorHandler,
    // Errors Fastify raises before routing (a bad percent-encoding in the URL).
    frameworkErrors (error, _request, reply) {
      const response = toErrorResponse(error)
      ;(reply as FastifyReply).code(response.statusCode).send(response.body)
    },
  })

  // The folders show the order things start in: external plugins, then the
  // app's own plugins, then routes.
  if (deps.fastifyOtel !== undefined) await app.register(tracing, { fastifyOtel: deps.fastifyOtel })
  await app.register(helmet)
  await app.register(lifecycle)
  await app.register(loadShedding, { maxEventLoopDelayMs: config.SHED_EVENT_LOOP_DELAY_MS })
  const projectId = deps.projectId ?? createProjectIdResolver(config, deps.metadata ?? createMetadataServer(config))
  await app.register(requestLogging, { config, projectId })
  await app.register(errorHandler)
  await app.register(upstreamClient, { config })

  await app.register(health)
  await app.register(hello, { config, now: deps.now ?? (() => new Date()) })
  await app.register(upstream)
  for (const routes of deps.routes ?? []) await app.register(routes)

  return app
}
