import * as Type from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

// Probe endpoints. Neither ends in "z": Cloud Run's front end intercepts some
// such paths, /healthz among them.
// (Cloud Run docs, "Known issues": reserved URL paths).
// Probes are never shed (config.probe), so neither can answer SVC_OVERLOADED.

const healthSchema = {
  summary: 'Liveness probe',
  description: 'Answers while the process can answer. Checks no dependency.',
  operationId: 'getHealth',
  response: {
    200: Type.Object({ status: Type.Literal('ok') }, { description: 'The process is alive.', additionalProperties: false }),
  },
  errorResponses: [errors.INTERNAL],
}

const readySchema = {
  summary: 'Readiness probe',
  description: 'Ready from the end of boot until SIGTERM starts the drain.',
  operationId: 'getReady',
  response: {
    200: Type.Object({ status: Type.Literal('ready') }, { description: 'The instance takes requests.', additionalProperties: false }),
  },
  errorResponses: [errors.NOT_READY, errors.INTERNAL],
}

const health: FastifyPluginAsyncTypebox = async (app) => {
  // Liveness: answers while the process can answer. It checks no dependency,
  // because a dependency's outage must not get healthy instances restarted.
  app.get('/health', { schema: healthSchema, config: { probe: true } }, async () => ({ status: 'ok' as const }))

  // Readiness: boot has finished before the server listens, so this is 200
  // until SIGTERM starts the drain.
  app.get('/ready', { schema: readySchema, config: { probe: true } }, async () => {
    if (app.readiness.draining) throw new ServiceError(errors.NOT_READY, { message: 'The instance is draining' })
    return { status: 'ready' as const }
  })
}

export default health
