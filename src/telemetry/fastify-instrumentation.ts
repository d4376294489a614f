import { FastifyOtelInstrumentation } from '@fastify/otel'
import type { Config } from '../config/load-config.ts'
import { createPathFilter } from './ignored-paths.ts'

/**
 * @fastify/otel: a `request` span with http.route, and a span for the route's
 * handler. Hooks get no span of their own: here they are helmet's headers,
 * load shedding and logging, and a span for each would triple the spans per
 * request (9 instead of 3), which costs throughput and Cloud Trace's per-span
 * price (docs/tracing.md). An error thrown in a hook still marks the request
 * span. A route that needs its hooks traced can say so with
 * `config: { otel: { instrumentHooks: true } }`.
 * TRACE_IGNORED_PATHS are skipped, as in the HTTP instrumentation.
 */
export function createFastifyInstrumentation (config: Pick<Config, 'TRACE_IGNORED_PATHS'>): FastifyOtelInstrumentation {
  const ignored = createPathFilter(config.TRACE_IGNORED_PATHS)
  return new FastifyOtelInstrumentation({ instrumentHooks: false, ignorePaths: (route) => ignored(route.url) })
}
