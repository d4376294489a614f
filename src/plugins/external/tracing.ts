import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'

// @fastify/otel's plugin: a span for the request's route and one for each
// hook and the handler, children of the HTTP server span, with http.route
// set. Registered first, so that it sees every hook and route added after it.
// The plugin comes from the SDK (src/telemetry/tracing-sdk.ts) because it
// must use the same tracer provider; with tracing off there is none.

export interface TracingOptions {
  fastifyOtel: FastifyPluginCallback
}

export default fp<TracingOptions>(async function tracingPlugin (app, { fastifyOtel }) {
  await app.register(fastifyOtel)
}, { name: 'tracing' })
