import fp from 'fastify-plugin'
import { toErrorResponse } from '../../errors/classify.ts'
import { ServiceError } from '../../errors/service-error.ts'
import { errors } from '../../errors/catalogue.ts'

// The one place errors become responses. It logs each error once, at the
// severity classify.ts chose, and answers `{ code, message }`.

export interface ErrorHandlerOptions {
  /** Called after a bug (a TypeError and the like) has been answered and logged. */
  onProgrammerError: (error: Error) => void
}

export default fp<ErrorHandlerOptions>(async function errorHandlerPlugin (app, { onProgrammerError }) {
  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error)
    const code = response.body.code
    if (response.severity === 'info') {
      // A client's mistake: the code says what happened, a stack would be noise.
      request.log.info({ code, statusCode: response.statusCode }, response.body.message)
    } else if (response.severity === 'fatal') {
      request.log.fatal({ err: error, code }, `Unexpected ${(error as Error).name} while handling a request`)
    } else {
      request.log[response.severity]({ err: error, code }, (error as Error).message)
    }
    reply.code(response.statusCode).headers(response.headers).send(response.body)
    if (response.programmerError) onProgrammerError(error as Error)
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
