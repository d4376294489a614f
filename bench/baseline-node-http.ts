// Baseline for `npm run bench`: the raw node:http server, the floor under any
// framework. Same greeting and content type as Fastify's answer.
import http from 'node:http'

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
  response.end('Hello from Cloud Run!\n')
})
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1')
process.once('SIGTERM', () => server.close(() => process.exit(0)))
