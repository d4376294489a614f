// Local fakes of Secret Manager for the benchmark: the gRPC one the tests
// use, and a REST one answering AccessSecretVersion's HTTP mapping
// (GET /v1/{name}:access), for the client's REST fallback.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { crc32c } from '../src/secrets/crc32c.ts'

export const SECRET = 'bench-secret-value'
export const RESOURCE = 'projects/bench-project/secrets/api-key/versions/1'

export async function startRestFake (): Promise<{ host: string, close: () => void }> {
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).replace(/^\/v1\//, '').replace(/:access$/, '')
    const data = Buffer.from(SECRET)
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ name, payload: { data: data.toString('base64'), dataCrc32c: String(crc32c(data)) } }))
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}
