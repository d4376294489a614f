// Cold start and throughput with tracing on and off, for docs/tracing.md.
// Runs the production build (npm run build first) on loopback only:
//   node_modules/.bin/node bench/tracing-cost.ts [runs] [seconds]
// Cold start = spawn to the first 200 on GET /. Throughput = GET / from
// 16 keep-alive connections for a fixed time; responses other than 200 (load
// shedding) are counted apart. Modes are interleaved run by run, so that a
// busy neighbour on the machine slows all of them alike. The exporting mode
// sends to a real OTLP receiver on 127.0.0.1, so export cost is included.
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.argv[2] ?? 7)
const LOAD_SECONDS = Number(process.argv[3] ?? 5)
const CONNECTIONS = 16
const PORT = 18_500

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function get (agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: PORT, path: '/', agent }, (response) => {
      response.resume().on('end', () => resolve(response.statusCode ?? 0))
    }).on('error', reject)
  })
}

async function startServer (env: Record<string, string>) {
  const startedAt = performance.now()
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(PORT), HOST: '127.0.0.1', LOG_REQUESTS: 'false', ...env },
    stdio: 'ignore',
  })
  const agent = new http.Agent({ keepAlive: true })
  for (;;) {
    try {
      if (await get(agent) === 200) break
    } catch {
      await sleep(2)
    }
  }
  return { child, agent, coldStartMs: performance.now() - startedAt }
}

async function stop (child: ReturnType<typeof spawn>): Promise<void> {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

async function throughput (): Promise<{ ok: number, other: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const deadline = performance.now() + LOAD_SECONDS * 1_000
  let ok = 0
  let other = 0
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < deadline) {
      if (await get(agent) === 200) ok++
      else other++
    }
  }))
  agent.destroy()
  return { ok: ok / LOAD_SECONDS, other: other / LOAD_SECONDS }
}

async function startReceiver (): Promise<{ url: string, close: () => void }> {
  const server = http.createServer((request, response) => { request.resume().on('end', () => response.end()) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}

const receiver = await startReceiver()
const modes: Record<string, Record<string, string>> = {
  'tracing off (OTEL_SDK_DISABLED=true)': { OTEL_SDK_DISABLED: 'true' },
  'tracing on, no exporter': {},
  'tracing on, OTLP http/protobuf export': { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
}
const coldStartsMs = new Map<string, number[]>()
const requestsPerSecond = new Map<string, Array<{ ok: number, other: number }>>()
for (let run = 0; run < RUNS; run++) {
  for (const [mode, env] of Object.entries(modes)) {
    const { child, agent, coldStartMs } = await startServer(env)
    coldStartsMs.set(mode, [...coldStartsMs.get(mode) ?? [], coldStartMs])
    agent.destroy()
    if (run < 3) {
      await throughput() // warm-up
      requestsPerSecond.set(mode, [...requestsPerSecond.get(mode) ?? [], await throughput()])
    }
    await stop(child)
  }
}
for (const mode of Object.keys(modes)) {
  const starts = coldStartsMs.get(mode) ?? []
  const loads = requestsPerSecond.get(mode) ?? []
  process.stdout.write(`${mode}: cold start median ${Math.round(median(starts))} ms (runs: ${starts.map(Math.round).join(', ')}); ` +
    `GET / median ${Math.round(median(loads.map((load) => load.ok)))} req/s (runs: ${loads.map((load) => Math.round(load.ok)).join(', ')}; ` +
    `non-200: ${loads.map((load) => Math.round(load.other)).join(', ')})\n`)
}
receiver.close()
