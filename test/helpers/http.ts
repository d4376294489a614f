import net from 'node:net'
import http from 'node:http'
import { once } from 'node:events'
import { onTestFinished } from 'vitest'

/** Sends bytes exactly as given and returns everything the server wrote back before closing. */
export async function rawRequest (port: number, bytes: string, { host = '127.0.0.1', timeoutMs = 5_000 } = {}): Promise<string> {
  const socket = net.connect({ host, port })
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)))
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write(bytes)
  await once(socket, 'close')
  return Buffer.concat(chunks).toString()
}

/** A real HTTP server on a free loopback port, closed when the test finishes. */
export async function startHttpServer (handler: http.RequestListener): Promise<{ server: http.Server, port: number, url: string }> {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { server, port, url: `http://127.0.0.1:${port}` }
}
