// Baseline for `npm run bench`: bare Fastify with nothing registered, the
// same greeting as the service's GET /, no logger. Compiled to dist-bench/
// before the bench, so that it starts like the service's dist/server.js (a
// .ts file would pay for Node's type stripping on every cold start).
import Fastify from 'fastify'

const app = Fastify()
app.get('/', async () => 'Hello from Cloud Run!\n')
// A benchmark baseline, not the service: it reads its port like the simplest
// Cloud Run sample does.
await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
// Exits on SIGTERM like the service, so that Node writes its compile cache
// (NODE_COMPILE_CACHE), which the bench's warm cold starts read.
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
