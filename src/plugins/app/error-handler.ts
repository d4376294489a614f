import fp from 'fastify-plugin'
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

  // Methods served per exact path, to tell "wrong method" (405) from "no such route" (404).
  const methodsByPath = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    methodsByPath.set(route.url, methods)
  })

  app.setNotFoundHandler((request) => {
    const path = request.url.split('?', 1)[0] ?? request.url
    const allowed = methodsByPath.get(path)
    if (allowed === undefined) throw new ServiceError(errors.ROUTE_NOT_FOUND, { message: `No route for ${request.method} ${path}` })
    throw new ServiceError(errors.METHOD_NOT_ALLOWED, {
      message: `${request.method} is not allowed on ${path}`,
      headers: { allow: [...allowed].sort().join(', ') },
    })
  })
}, { name: 'error-handler' })
