import type { FastifyPluginAsync } from 'fastify'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

// A sample route that calls another service through app.upstream. Every
// failure is a ServiceError from the client, which the central error handler
// turns into 502 (unavailable, or a 2xx whose body is not JSON), 503 (breaker
// open, with Retry-After; or not configured) or 504 (timeout). This route
// only handles the answers.

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
  app.get('/upstream', { schema: upstreamSchema }, async (request, reply) => {
    const client = app.upstream
    if (client === null) {
      throw new ServiceError(errors.UPSTREAM_NOT_CONFIGURED, { message: 'GET /upstream was called but UPSTREAM_URL is not set' })
    }
    // json: the client checks the body is JSON before its breaker counts the
    // call a success, so an upstream that answers garbage opens the breaker.
    const response = await client.request({ log: request.log, json: true })
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new ServiceError(errors.UPSTREAM_BAD_RESPONSE, {
        message: `Upstream answered ${response.statusCode}`,
        details: { dependency: client.name, upstreamStatus: response.statusCode },
      })
    }
    // The upstream's JSON text goes out byte for byte, never parsed into
    // objects and serialised again: numbers keep every digit, and no depth of
    // nesting can overflow a serialiser. A 204 (or any empty 2xx) is null.
    reply.type('application/json; charset=utf-8')
    return `{"upstream":${response.body === '' ? 'null' : response.body}}`
  })
}

export default upstream
