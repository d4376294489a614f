import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

// Security headers. This is an API, not a page: the CSP forbids everything,
// which is right for JSON and plain text and costs nothing.
export default fp(async function helmetPlugin (app) {
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // Cloud Run serves only HTTPS on its URLs, so HSTS is safe to send.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  })
}, { name: 'helmet' })
