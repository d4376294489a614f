// A local OTLP/HTTP receiver for the bench's "tracing on" variant: it accepts
// POST /v1/traces (protobuf or JSON), counts what arrived and answers 200 with
// an empty body, as a collector does for a full success. GET /stats returns
// the counts, so the report can say whether tracing was really exporting.
// Runs as its own process so its work is not charged to the load generator.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

let exports = 0
let bytes = 0
const server = http.createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/v1/traces') {
    request.on('data', (chunk: Buffer) => { bytes += chunk.length })
    request.on('end', () => {
      exports++
      response.writeHead(200, { 'content-type': String(request.headers['content-type'] ?? 'application/x-protobuf') }).end()
    })
    return
  }
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exports, bytes }))
    return
  }
  response.writeHead(404).end()
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
// The bench holds this pipe open: if the bench dies, however it dies, so does the sink.
process.stdin.resume().on('end', () => process.exit(0))
