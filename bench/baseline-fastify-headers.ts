// Cost ledger entry for `npm run bench`: bare Fastify (baseline-fastify.ts)
// plus the service's own security-headers plugin, and nothing else. Its CPU
// per request minus bare Fastify's is what the security headers cost; the
// service has no switch for them, as they stay on.
import Fastify from 'fastify'
import helmet from '../src/plugins/external/helmet.ts'
import { createSecurityHeaders } from '../src/http/security-headers.ts'

const app = Fastify()
await app.register(helmet, { headers: createSecurityHeaders() })
app.get('/', async () => 'Hello from Cloud Run!\n')
await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
