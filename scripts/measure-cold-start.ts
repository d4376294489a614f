// `npm run measure:cold-start`: how long a fresh server process takes from
// spawn to its first 200 on GET /, and how much memory it holds at idle, for
// the esbuild bundle against the unbundled tsc output, and for the start-up
// options the Dockerfile could use (source maps, V8's compile cache).
// Numbers and the command line are recorded in docs/container.md. The full
// load-test harness lives elsewhere; this stays about start-up.
//
// Usage: npm run build && npm run build:tsc && npm run measure:cold-start [-- runs]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const RUNS = Number(process.argv[2] ?? 20)
const IDLE_MS = 1_000
const compileCacheDir = mkdtempSync(join(tmpdir(), 'compile-cache-'))

interface Variant { name: string, args: string[], env?: Record<string, string> }
const variants: Variant[] = [
  { name: 'tsc output (dist-tsc/, node_modules)', args: ['dist-tsc/server.js'] },
  { name: 'bundle (dist/server.js)', args: ['dist/server.js'] },
  { name: 'bundle + --enable-source-maps', args: ['--enable-source-maps', 'dist/server.js'] },
  { name: 'bundle + NODE_COMPILE_CACHE (warm)', args: ['dist/server.js'], env: { NODE_COMPILE_CACHE: compileCacheDir } },
]

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function getStatus (port: number): Promise<number> {
  return new Promise((resolve) => {
    request({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    }).on('error', () => resolve(0)).end()
  })
}

/** One cold start: spawn → first 200 on GET /, then RSS after IDLE_MS of idling. */
async function coldStart ({ args, env = {} }: Variant): Promise<{ firstOkMs: number, idleRssMiB: number }> {
  const port = await freePort()
  const startedAt = performance.now()
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  })
  try {
    while (await getStatus(port) !== 200) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    const firstOkMs = performance.now() - startedAt
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1])
    return { firstOkMs, idleRssMiB: rssKiB / 1024 }
  } finally {
    // SIGTERM, like Cloud Run: a graceful exit is also when the compile cache is written.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] ?? NaN : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

async function main (): Promise<void> {
  // One unmeasured start per variant: fills the OS file cache for all alike
  // and writes the compile cache that the "warm" variant then reads.
  for (const variant of variants) await coldStart(variant)
  const results = new Map(variants.map((variant) => [variant, { firstOkMs: [] as number[], idleRssMiB: [] as number[] }]))
  // Round-robin, so that a noisy neighbour slows every variant alike.
  for (let run = 0; run < RUNS; run++) {
    for (const variant of variants) {
      const sample = await coldStart(variant)
      results.get(variant)?.firstOkMs.push(sample.firstOkMs)
      results.get(variant)?.idleRssMiB.push(sample.idleRssMiB)
    }
  }
  const lines = [
    `Node ${process.version}, ${RUNS} runs each, median (min–max):`, '',
    '| Variant | Spawn → first 200 (ms) | RSS at idle (MiB) |', '| --- | --- | --- |',
  ]
  for (const [variant, { firstOkMs, idleRssMiB }] of results) {
    lines.push(`| ${variant.name} | ${median(firstOkMs).toFixed(0)} (${Math.min(...firstOkMs).toFixed(0)}–${Math.max(...firstOkMs).toFixed(0)}) | ${median(idleRssMiB).toFixed(1)} |`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}

try {
  await main()
} finally {
  rmSync(compileCacheDir, { recursive: true, force: true })
}
