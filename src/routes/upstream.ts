import * as Type from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

// A sample route that calls another service through app.upstream. Every
// failure is a ServiceError from the client, which the central error handler
// turns into 502 (unavailable, or a 2xx whose body is not JSON), 503 (breaker
// open, with Retry-After; or not configured) or 504 (timeout). This route
// only handles the answers.

const upstreamSchema = {
  summary: 'Calls the upstream service',
  description: 'Calls UPSTREAM_URL with GET (timeouts, retries, a circuit breaker) and passes its JSON on.',
  operationId: 'getUpstream',
  response: {
    200: Type.Object({
      upstream: Type.Unknown({ description: 'The JSON the upstream sent, byte for byte; null when it sent no body.' }),
    }, { description: 'The upstream answered 2xx with JSON.', additionalProperties: false }),
  },
  // 502, 503 (shed, breaker open, not configured), 504 and 500.
  errorResponses: [
    errors.UPSTREAM_UNAVAILABLE, errors.UPSTREAM_BAD_RESPONSE,
    errors.OVERLOADED, errors.UPSTREAM_CIRCUIT_OPEN, errors.UPSTREAM_NOT_CONFIGURED,
    errors.UPSTREAM_TIMEOUT,
    errors.INTERNAL,
  ],
}

/**
 * The handler returns the 200 body as JSON text it wrote itself, which
 * Fastify sends as it is (a string with a JSON content type is never
 * serialised again). The schema still describes that body, for the OpenAPI
 * document; this type, given to app.get, replaces the object type the type
 * provider would take from it.
 */
interface PreSerialisedReply { Reply: string }

const upstream: FastifyPluginAsyncTypebox = async (app) => {
  app.get<PreSerialisedReply>('/upstream', { schema: upstreamSchema }, async (request, reply) => {
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
