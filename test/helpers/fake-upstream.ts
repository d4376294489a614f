import type http from 'node:http'
import { expect, onTestFinished } from 'vitest'
import { startHttpServer } from './http.ts'

// A real HTTP upstream on loopback that misbehaves on demand, and counts and
// records every request it receives.

export type Behaviour =
  /** `body`: a string or Buffer is sent as it is, anything else as JSON. */
  | { status: number, body?: unknown, headers?: Record<string, string>, delayMs?: number }
  /** Accept the request and never answer. */
  | 'hang'
  /** Destroy the connection without a response. */
  | 'reset'

export interface ReceivedRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

export interface FakeUpstream {
  url: string
  port: number
  /** Every request received so far, in order. */
  requests: ReceivedRequest[]
  /** Requests being handled right now, and the most at any one time. */
  inFlight: () => number
  maxInFlight: () => number
}

/**
 * @param script what to do with the n-th request (from 0): an array (the last
 *   entry repeats) or a function.
 */
export async function startFakeUpstream (script: Behaviour[] | ((index: number) => Behaviour)): Promise<FakeUpstream> {
  const requests: ReceivedRequest[] = []
  let inFlight = 0
  let maxInFlight = 0
  const behaviourFor = (index: number): Behaviour => {
    if (typeof script === 'function') return script(index)
    const behaviour = script[Math.min(index, script.length - 1)]
    if (behaviour === undefined) throw new Error('empty script')
    return behaviour
  }
  const { url, port } = await startHttpServer((request, response) => {
    const index = requests.length
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers })
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    response.on('close', () => { inFlight-- })
    const behaviour = behaviourFor(index)
    if (behaviour === 'hang') return
    if (behaviour === 'reset') {
      request.socket.destroy()
      return
    }
    const send = () => {
      const body = behaviour.body === undefined ? '' : typeof behaviour.body === 'string' || Buffer.isBuffer(behaviour.body) ? behaviour.body : JSON.stringify(behaviour.body)
      response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers }).end(body)
    }
    if (behaviour.delayMs === undefined) {
      send()
      return
    }
    const timer = setTimeout(send, behaviour.delayMs)
    response.on('close', () => clearTimeout(timer))
  })
  return { url, port, requests, inFlight: () => inFlight, maxInFlight: () => maxInFlight }
}

/** Fails the test if any promise rejection went unhandled while it ran. */
export function expectNoUnhandledRejections (): void {
  const unhandled: unknown[] = []
  const listener = (reason: unknown) => { unhandled.push(reason) }
  process.on('unhandledRejection', listener)
  onTestFinished(async () => {
    // Rejections are reported after a turn of the event loop; give them one.
    await new Promise((resolve) => setImmediate(resolve))
    process.off('unhandledRejection', listener)
    expect(unhandled).toStrictEqual([])
  })
}
