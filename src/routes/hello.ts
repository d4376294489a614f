import { hostname } from 'node:os'
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../config/load-config.ts'

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

const helloJsonSchema = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    host: { type: 'string' },
    time: { type: 'string' },
    service: { type: 'string' },
    revision: { type: ['string', 'null'] },
  },
  required: ['message', 'host', 'time', 'service', 'revision'],
} as const

const hello: FastifyPluginAsync<HelloOptions> = async (app, { config, now }) => {
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

  app.get('/', {
    schema: { response: { 200: { content: { 'application/json': { schema: helloJsonSchema }, 'text/plain': { schema: { type: 'string' } } } } } },
  }, async (request, reply) => {
    const time = now()
    // The body depends on Accept and changes every second: caches must not reuse it.
    reply.header('vary', 'Accept').header('cache-control', 'no-store')
    if (wantsJson(request.headers.accept)) {
      reply.type('application/json; charset=utf-8')
      return {
        message: 'Hello from Cloud Run!',
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
