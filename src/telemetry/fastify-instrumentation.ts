import { FastifyOtelInstrumentation } from '@fastify/otel'
import type { Config } from '../config/load-config.ts'
import { createPathFilter } from './ignored-paths.ts'

/** @fastify/otel, skipping TRACE_IGNORED_PATHS like the HTTP instrumentation does. */
export function createFastifyInstrumentation (config: Pick<Config, 'TRACE_IGNORED_PATHS'>): FastifyOtelInstrumentation {
  const ignored = createPathFilter(config.TRACE_IGNORED_PATHS)
  return new FastifyOtelInstrumentation({ ignorePaths: (route) => ignored(route.url) })
}
