import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { builtServer } from '../helpers/built-server.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

// SIGTERM in the middle of a keep-alive load: Cloud Run's front end keeps
// connections open and reuses them, so a request may be on its way on any of
// them when the drain starts. Every request sent must get its response; a
// connection refused once the listener has closed is fine (the front end
// retries elsewhere), a reset or a dropped request is not. The connections
// are open before the load starts, as the front end's are: a burst of new
// connections at a saturated server can wait in the kernel's accept queue
// for a second (seen here with plain node:http too), and that is about
// accepting, not draining.

const CONNECTIONS = 100

interface Outcome { status?: number, connectionClose?: boolean, error?: string }

function send (agent: http.Agent, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode, connectionClose: response.headers.connection === 'close' }))
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    })
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
  })
}

/** Requests back to back on one keep-alive connection until the server refuses it. */
async function sendUntilRefused (agent: http.Agent, port: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (;;) {
    const outcome = await send(agent, port)
    outcomes.push(outcome)
    if (outcome.error !== undefined) return outcomes
  }
}

describe('SIGTERM under a keep-alive load', () => {
  it.each([1, 2, 3])('when SIGTERM arrives in the middle of 100 busy keep-alive connections (run %i), then every request sent gets its response, and each connection\'s last response says Connection: close', async () => {
    const server = await startServerProcess({}, builtServer())
    const agents = Array.from({ length: CONNECTIONS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }))
    try {
      const opened = await Promise.all(agents.map((agent) => send(agent, server.port)))
      expect(opened.filter((outcome) => outcome.status !== 200)).toStrictEqual([])
      const clients = agents.map((agent) => sendUntilRefused(agent, server.port))
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      server.child.kill('SIGTERM')
      const outcomes = await Promise.all(clients)
      expect(await server.exited).toBe(0)

      const all = outcomes.flat()
      const lost = all.filter((outcome) => outcome.error !== undefined && outcome.error !== 'ECONNREFUSED')
      expect(lost).toStrictEqual([])
      // The load was real: each connection served requests before and around the signal.
      expect(all.filter((outcome) => outcome.status === 200).length).toBeGreaterThan(CONNECTIONS * 2)
      expect(all.filter((outcome) => outcome.status !== undefined && outcome.status !== 200)).toStrictEqual([])
      // The response before each refusal closed its connection: responses after
      // the drain began said Connection: close, so no connection was left idle.
      const lastResponses = outcomes.map((ofOneConnection) => ofOneConnection.at(-2))
      expect(lastResponses.filter((outcome) => outcome?.connectionClose !== true)).toStrictEqual([])
    } finally {
      for (const agent of agents) agent.destroy()
    }
  }, 30_000)
})
