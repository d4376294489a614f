import fp from 'fastify-plugin'
import type { Config } from '../../config/load-config.ts'
import { createOutboundClient, type OutboundClient } from '../../outbound/create-outbound-client.ts'
import { createIdTokenSource, createMetadataIdTokenFetcher } from '../../outbound/id-token.ts'

// The client for one outbound dependency, "upstream", as `app.upstream`.
// To call another service, copy this file: rename the decorator and the
// UPSTREAM_* variables, and register the copy in app.ts. Each copy gets its
// own pool and its own breaker, so one dependency's bad day stays its own.

export interface UpstreamClientOptions {
  config: Config
}

export default fp<UpstreamClientOptions>(async function upstreamClientPlugin (app, { config }) {
  if (config.UPSTREAM_URL === undefined) {
    // Not configured: routes answer 503 SVC_UPSTREAM_NOT_CONFIGURED, and the
    // rest of the service (and its probes) carries on.
    app.decorate('upstream', null)
    return
  }
  // createOutboundClient imports undici only now, when a dependency is configured.
  const client = await createOutboundClient({
    name: 'upstream',
    baseUrl: new URL(config.UPSTREAM_URL),
    attemptTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    deadlineMs: config.UPSTREAM_DEADLINE_MS,
    retries: config.UPSTREAM_RETRIES,
    maxConcurrency: config.UPSTREAM_MAX_CONCURRENCY,
    apiKey: config.UPSTREAM_API_KEY,
    idToken: config.UPSTREAM_AUDIENCE === undefined
      ? undefined
      : createIdTokenSource({ audience: config.UPSTREAM_AUDIENCE, fetchIdToken: await createMetadataIdTokenFetcher() }),
    breaker: {
      errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD_PERCENTAGE,
      volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
    },
    logger: app.log,
  })
  app.decorate('upstream', client)
  // Runs after the server has stopped and in-flight requests have finished
  // (Fastify closes the server first), so no call is cut short.
  app.addHook('onClose', () => client.close())
}, { name: 'upstream-client' })

declare module 'fastify' {
  interface FastifyInstance {
    /** The "upstream" dependency's client; null when UPSTREAM_URL is unset. */
    upstream: OutboundClient | null
  }
}
