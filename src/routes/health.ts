import type { FastifyPluginAsync } from 'fastify'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

// Probe endpoints. Neither ends in "z": Cloud Run's front end intercepts some
// such paths, /healthz among them.
// (Cloud Run docs, "Known issues": reserved URL paths).

const statusSchema = {
  response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } },
} as const

const health: FastifyPluginAsync = async (app) => {
  // Liveness: answers while the process can answer. It checks no dependency,
  // because a dependency's outage must not get healthy instances restarted.
  app.get('/health', { schema: statusSchema, config: { probe: true } }, async () => ({ status: 'ok' }))

  // Readiness: boot has finished before the server listens, so this is 200
  // until SIGTERM starts the drain.
  app.get('/ready', { schema: statusSchema, config: { probe: true } }, async () => {
    if (app.readiness.draining) throw new ServiceError(errors.NOT_READY, { message: 'The instance is draining' })
    return { status: 'ready' }
  })
}

export default health
