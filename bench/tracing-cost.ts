// Cold start and throughput with tracing on and off, for docs/tracing.md.
// Runs the production build (npm run build first) on loopback only:
// Cold start = spawn to the first 200 on GET /. Load = a fixed number of GET /
// from 16 keep-alive connections. Both are reported as wall time and as the
// CPU time the server process used (from /proc, Linux only): on a shared,
// busy machine wall times swing widely, CPU time much less. Modes are
// interleaved run by run. The exporting mode sends to a real OTLP receiver on
// 127.0.0.1, so export cost is included.
//   node_modules/.bin/node bench/tracing-cost.ts [runs] [requests]
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.argv[2] ?? 7)
const LOAD_REQUESTS = Number(process.argv[3] ?? 4_000)
/** Linux reports CPU time in clock ticks of 10 ms (USER_HZ = 100). */
const MS_PER_TICK = 10
const CONNECTIONS = 16
const PORT = 18_500

/** User + system CPU time the process has used so far: fields 14 and 15 of /proc/PID/stat. */
function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK
}

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
  return { child, agent, coldStartMs: performance.now() - startedAt, coldStartCpuMs: cpuMs(child.pid ?? 0) }
}

async function stop (child: ReturnType<typeof spawn>): Promise<void> {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

async function load (pid: number): Promise<{ requestsPerSecond: number, cpuUsPerRequest: number, other: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const cpuBeforeMs = cpuMs(pid)
  const startedAt = performance.now()
  let remaining = LOAD_REQUESTS
  let other = 0
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (remaining-- > 0) if (await get(agent) !== 200) other++
  }))
  const elapsedMs = performance.now() - startedAt
  agent.destroy()
  return {
    requestsPerSecond: LOAD_REQUESTS / (elapsedMs / 1_000),
    cpuUsPerRequest: (cpuMs(pid) - cpuBeforeMs) * 1_000 / LOAD_REQUESTS,
    other,
  }
}

async function startReceiver (): Promise<{ url: string, close: () => void }> {
  const server = http.createServer((request, response) => { request.resume().on('end', () => response.end()) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}

const receiver = await startReceiver()
// Accepts connections and never answers: the metadata lookups for the
// resource (region, instance) hang until their timeout.
const hangingMetadata = http.createServer(() => {})
hangingMetadata.listen(0, '127.0.0.1')
await once(hangingMetadata, 'listening')
const modes: Record<string, Record<string, string>> = {
  'tracing off (OTEL_SDK_DISABLED=true)': { OTEL_SDK_DISABLED: 'true' },
  'tracing on, no exporter': {},
  'tracing on, OTLP http/protobuf export': { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  'the same, as on Cloud Run, with a metadata server that never answers': {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    K_SERVICE: 'bench',
    GOOGLE_CLOUD_PROJECT: 'bench-project',
    GCE_METADATA_HOST: `127.0.0.1:${(hangingMetadata.address() as AddressInfo).port}`,
  },
}
type Sample = { coldStartMs: number, coldStartCpuMs: number, requestsPerSecond?: number, cpuUsPerRequest?: number, other?: number }
const samples = new Map<string, Sample[]>()
for (let run = 0; run < RUNS; run++) {
  for (const [mode, env] of Object.entries(modes)) {
    const { child, agent, coldStartMs, coldStartCpuMs } = await startServer(env)
    agent.destroy()
    let sample: Sample = { coldStartMs, coldStartCpuMs }
    if (run < 3) {
      await load(child.pid ?? 0) // warm-up
      sample = { ...sample, ...await load(child.pid ?? 0) }
    }
    samples.set(mode, [...samples.get(mode) ?? [], sample])
    await stop(child)
  }
}
const summary = (values: Array<number | undefined>) => {
  const known = values.filter((value): value is number => value !== undefined)
  return `${Math.round(median(known))} (${known.map(Math.round).join(', ')})`
}
for (const mode of Object.keys(modes)) {
  const all = samples.get(mode) ?? []
  process.stdout.write(`${mode}:\n` +
    `  cold start: wall ms ${summary(all.map((s) => s.coldStartMs))}; CPU ms ${summary(all.map((s) => s.coldStartCpuMs))}\n` +
    `  GET /: req/s ${summary(all.map((s) => s.requestsPerSecond))}; CPU µs per request ${summary(all.map((s) => s.cpuUsPerRequest))}; ` +
    `non-200: ${all.map((s) => s.other).filter((n) => n !== undefined).join(', ')}\n`)
}
receiver.close()
hangingMetadata.closeAllConnections()
hangingMetadata.close()
