import type { FastifyPluginAsync } from 'fastify'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

// A sample route that calls another service through app.upstream. Every
// failure is a ServiceError from the client, which the central error handler
// turns into 502 (unavailable), 503 (breaker open, with Retry-After; or not
// configured) or 504 (timeout). This route only handles the answers.

const upstreamSchema = {
  response: {
    200: {
      type: 'object',
      // Any JSON the upstream sent, passed on as it is.
      properties: { upstream: {} },
      required: ['upstream'],
    },
  },
} as const

const upstream: FastifyPluginAsync = async (app) => {
  app.get('/upstream', { schema: upstreamSchema }, async (request) => {
    const client = app.upstream
    if (client === null) {
      throw new ServiceError(errors.UPSTREAM_NOT_CONFIGURED, { message: 'GET /upstream was called but UPSTREAM_URL is not set' })
    }
    const response = await client.request({ log: request.log })
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new ServiceError(errors.UPSTREAM_BAD_RESPONSE, {
        message: `Upstream answered ${response.statusCode}`,
        details: { dependency: client.name, upstreamStatus: response.statusCode },
      })
    }
    try {
      // A 204 (or any empty 2xx) has no body to pass on.
      return { upstream: response.body === '' ? null : JSON.parse(response.body) as unknown }
    } catch (error) {
      throw new ServiceError(errors.UPSTREAM_BAD_RESPONSE, {
        message: 'Upstream answered 2xx with a body that is not JSON',
        cause: error,
        details: { dependency: client.name, upstreamStatus: response.statusCode },
      })
    }
  })
}

export default upstream
