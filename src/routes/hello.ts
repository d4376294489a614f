import { hostname } from 'node:os'
import * as Type from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../config/load-config.ts'
import { errors } from '../errors/catalogue.ts'

// The Cloud Run tutorial's greeting, byte for byte, for curl users; the same
// facts as JSON for clients that ask for it with Accept: application/json.

export interface HelloOptions {
  config: Config
  now: () => Date
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as the tutorial prints it. */
function formatTutorialTime (date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ')
}

function wantsJson (accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept)
}

const Greeting = Type.Object({
  message: Type.Literal('Hello from Cloud Run!'),
  host: Type.String({ description: 'The instance\'s hostname.' }),
  time: Type.String({ format: 'date-time' }),
  service: Type.String({ description: 'K_SERVICE, else the package name.' }),
  // A type list, not a union: fast-json-stringify serialises a union (anyOf)
  // by validating the value against each branch, on every request.
  revision: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'K_REVISION; null outside Cloud Run.' }),
}, { additionalProperties: false })

const helloSchema = {
  summary: 'The Cloud Run tutorial\'s greeting',
  description: 'Plain text by default, byte for byte the tutorial\'s; the same facts as JSON when Accept names application/json.',
  operationId: 'getGreeting',
  response: {
    200: {
      description: 'The greeting. It changes every second and with Accept, so it is never cached.',
      headers: Type.Object({ Vary: Type.Literal('Accept'), 'Cache-Control': Type.Literal('no-store') }),
      content: {
        'text/plain': { schema: Type.String({ pattern: '^Hello from Cloud Run! Host: .*, Time: \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\n$', description: 'Time in UTC.' }) },
        'application/json': { schema: Greeting },
      },
    },
  },
  errorResponses: [errors.OVERLOADED, errors.INTERNAL],
}

const hello: FastifyPluginAsyncTypebox<HelloOptions> = async (app, { config, now }) => {
  const host = hostname()
  // The greeting's time changes once a second, so it is formatted once a
  // second: under load, formatting a date for every request was a
  // measurable share of this route's CPU.
  let formattedSecond = Number.NaN
  let formattedTime = ''
  function tutorialTime (date: Date): string {
    const second = Math.floor(date.getTime() / 1_000)
    if (second !== formattedSecond) {
      formattedSecond = second
      formattedTime = formatTutorialTime(date)
    }
    return formattedTime
  }

  app.get('/', { schema: helloSchema }, async (request, reply) => {
    const time = now()
    // The body depends on Accept and changes every second: caches must not reuse it.
    reply.header('vary', 'Accept').header('cache-control', 'no-store')
    if (wantsJson(request.headers.accept)) {
      reply.type('application/json; charset=utf-8')
      return {
        message: 'Hello from Cloud Run!' as const,
        host,
        time: time.toISOString(),
        service: config.serviceName,
        revision: config.K_REVISION ?? null,
      }
    }
    reply.type('text/plain; charset=utf-8')
    return `Hello from Cloud Run! Host: ${host}, Time: ${tutorialTime(time)}\n`
  })
}

export default hello
