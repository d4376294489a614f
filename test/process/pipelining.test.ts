import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { MAX_PIPELINED_REQUESTS } from '../../src/http/pipelining.ts'
import { builtServer } from '../helpers/built-server.ts'
import { CLOUD_RUN_512_MIB_HEAP, rssMiB } from '../helpers/process-memory.ts'
import { startFakeUpstream } from '../helpers/fake-upstream.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

// HTTP/1.1 pipelining as an attack: requests sent back to back without
// waiting for the answers. Node parses all that arrive at once; the server
// must let only a few of one connection's requests into the app at a time
// (src/http/pipelining.ts), and still answer every one of them, in order.

/** Sends `count` pipelined requests in one write; resolves with the status of each response, in order. */
function pipeline (port: number, path: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const statuses: string[] = []
    let unread = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      unread += chunk
      // Every status line, once its three digits are in; what follows waits for more data.
      for (let at = unread.indexOf('HTTP/1.1 '); at !== -1 && at + 12 <= unread.length; at = unread.indexOf('HTTP/1.1 ')) {
        statuses.push(unread.slice(at + 9, at + 12))
        unread = unread.slice(at + 12)
      }
      if (statuses.length >= count) socket.end()
    })
    socket.on('close', () => resolve(statuses))
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count))
  })
}

describe('pipelined requests', () => {
  it('when one connection pipelines 1,000 GET /upstream, then at most 16 are in the service at once, so the upstream never sees more, and every one is answered 200', async () => {
    const upstream = await startFakeUpstream([{ status: 200, body: { ok: true }, delayMs: 5 }])
    // The upstream pool would allow 80 calls at once: the bound seen is the pipelining one.
    const server = await startServerProcess({ UPSTREAM_URL: upstream.url, UPSTREAM_MAX_CONCURRENCY: '80' }, builtServer())
    const statuses = await pipeline(server.port, '/upstream', 1_000)
    expect(statuses).toStrictEqual(Array.from({ length: 1_000 }, () => '200'))
    expect(upstream.requests).toHaveLength(1_000)
    expect(upstream.maxInFlight()).toBe(MAX_PIPELINED_REQUESTS)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 60_000)

  it('when a connection pipelines 20,000 GETs (800 KB) in one write, then every one is answered 200, in order, RSS grows less than 50 MB, and the server keeps serving', async () => {
    // Load shedding has tests of its own; on a two-core machine running other
    // tests, it could answer some of these 503, which is not what is tested here.
    // A request line per request, the heavier config: 20,000 lines on top.
    const server = await startServerProcess({ SHED_EVENT_LOOP_DELAY_MS: '0', LOG_REQUESTS: 'true', NODE_OPTIONS: CLOUD_RUN_512_MIB_HEAP }, builtServer())
    const pid = server.child.pid as number
    // The same 20,000 requests first, 100 deep, as a load tool pipelines:
    // what the attack costs is then what it holds, not what any first
    // 20,000 requests cost (compiled code, a heap grown to its working size,
    // about 35 MB here).
    for (let batch = 0; batch < 200; batch++) expect(await pipeline(server.port, '/', 100)).toHaveLength(100)
    const rssBefore = rssMiB(pid)
    let rssHighest = rssBefore
    const sampler = setInterval(() => { rssHighest = Math.max(rssHighest, rssMiB(pid)) }, 20)
    const statuses = await pipeline(server.port, '/', 20_000)
    clearInterval(sampler)
    rssHighest = Math.max(rssHighest, rssMiB(pid))
    expect(statuses.length).toBe(20_000)
    expect(new Set(statuses)).toStrictEqual(new Set(['200']))
    // Unbounded, on a machine whose V8 heap could grow, this attack took RSS
    // from 104 MB to 503 MB; bounded, it adds 2–7 MB here (20 MB with the
    // bound removed, under this heap; the test above is the one that fails then).
    expect((rssHighest - rssBefore) * 2 ** 20 / 1e6).toBeLessThan(50)
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 60_000)
})
