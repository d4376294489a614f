import fp from 'fastify-plugin'
import FindMyWay, { type Config as FindMyWayConfig, type HTTPMethod, type HTTPVersion } from 'find-my-way'
import { toErrorResponse } from '../../errors/classify.ts'
import { ServiceError } from '../../errors/service-error.ts'
import { errors } from '../../errors/catalogue.ts'
import { capLoggedField } from '../../logging/field-limit.ts'

// The one place errors become responses. It logs each error once, at the
// severity classify.ts chose, and answers `{ code, message }`. Whatever a
// request throws, the process carries on serving: only faults outside any
// request end it (src/lifecycle/shutdown.ts).

export default fp(async function errorHandlerPlugin (app) {
  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error)
    const code = response.body.code
    if (response.severity === 'info') {
      // A client's mistake: the code says what happened, a stack would be noise.
      request.log.info({ code, statusCode: response.statusCode }, capLoggedField(response.body.message))
    } else if (error instanceof ServiceError) {
      // An open breaker already said so once, when it opened; a line per
      // fast-failed request would only flood the log during the outage.
      if (code !== errors.UPSTREAM_CIRCUIT_OPEN.code) request.log.warn({ err: error, code }, capLoggedField(error.message))
    } else {
      // A bug, or something nobody expected: the stack goes to Error Reporting.
      request.log.error({ err: error, code }, capLoggedField((error as Error).message ?? String(error)))
    }
    reply.code(response.statusCode).headers(response.headers).header('cache-control', 'no-store').send(response.body)
  })

  // 405 or 404 for a request no route took: the routes are matched again,
  // with find-my-way (the router inside Fastify) set up as Fastify's own, for
  // every method that has routes, so that `DELETE /greet/Ada` finds
  // `GET /greet/:name` just as `DELETE /health` finds `GET /health`.
  const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength, allowUnsafeRegex, useSemicolonDelimiter } = app.initialConfig
  // find-my-way reads useSemicolonDelimiter, but its typings leave it out.
  const routerOptions: FindMyWayConfig<HTTPVersion.V1> & { useSemicolonDelimiter?: boolean | undefined } =
    { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength, allowUnsafeRegex, useSemicolonDelimiter }
  const routes = FindMyWay(routerOptions)
  const routedMethods = new Set<HTTPMethod>()
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      routedMethods.add(method)
      // Routes that differ only by constraints (host, version) are one path here.
      if (!routes.hasRoute(method, route.url)) routes.on(method, route.url, () => {})
    }
  })

  app.setNotFoundHandler((request) => {
    const path = request.url.split('?', 1)[0] ?? request.url
    const allowed = [...routedMethods].filter((method) => routes.find(method, request.url) !== null)
    if (allowed.length === 0) throw new ServiceError(errors.ROUTE_NOT_FOUND, { message: `No route for ${request.method} ${path}` })
    throw new ServiceError(errors.METHOD_NOT_ALLOWED, {
      message: `${request.method} is not allowed on ${path}`,
      headers: { allow: allowed.sort().join(', ') },
    })
  })
}, { name: 'error-handler' })
