import fp from 'fastify-plugin'
import type { SecurityHeaders } from '../../http/security-headers.ts'

// helmet's security headers (computed once at boot, src/http/security-headers.ts)
// on every response Fastify sends, errors and shed 503s included.

export interface HelmetPluginOptions {
  headers: SecurityHeaders
}

export default fp<HelmetPluginOptions>(async function helmetPlugin (app, { headers }) {
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}, { name: 'helmet' })
