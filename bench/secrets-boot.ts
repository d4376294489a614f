// Cold-start cost of secrets, measured on this machine against local fakes:
//   npm run build && node_modules/.bin/node bench/secrets-boot.ts [runs]
// 1. Boot of the built server (dist/server.js) with 0, 1 and 5 sm://
//    references: wall time from spawn to the "ready" line, its bootMs, and
//    the time resolveSecrets took.
// 2. In a fresh process: loading the client, building it, its first and
//    second AccessSecretVersion, over gRPC and over the REST fallback.
// Results are medians of `runs` (default 7) fresh processes.
import { spawn } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { startFakeSecretManager } from '../test/helpers/fake-secret-manager.ts'
import { RESOURCE, SECRET, startRestFake } from './secrets-fakes.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[2] ?? 7)

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? NaN) * 10) / 10
}

/** Runs a child to completion (or until `stopWhen` sees its line), returning stdout and the wall time. */
function runChild (args: string[], env: Record<string, string>, stopWhen?: (line: string) => boolean): Promise<{ stdout: string, wallMs: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    let wallMs = 0
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (stopWhen !== undefined && wallMs === 0 && stdout.split('\n').some(stopWhen)) {
        wallMs = performance.now() - startedAt
        child.kill('SIGKILL')
      }
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (stopWhen === undefined) wallMs = performance.now() - startedAt
      if (wallMs === 0) reject(new Error(`child exited ${code} early:\n${stdout}`))
      else resolve({ stdout, wallMs })
    })
  })
}

const grpcFake = await startFakeSecretManager()
const restFake = await startRestFake()
grpcFake.on(RESOURCE, { value: SECRET })
const bootEnvs = [0, 1, 5].map((references) => {
  const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', SECRET_MANAGER_EMULATOR_HOST: grpcFake.host }
  for (let i = 0; i < references; i++) {
    grpcFake.on(`projects/bench-project/secrets/s${i}/versions/1`, { value: `${SECRET}-${i}` })
    env[`BENCH_SECRET_${i}`] = `sm://bench-project/s${i}#1`
  }
  return { name: `boot with ${references} references`, env }
})
const samples = new Map<string, Array<Record<string, number>>>()
const record = (name: string, sample: Record<string, number>) => samples.set(name, [...samples.get(name) ?? [], sample])

// Round-robin, so that a change in the machine's load during the run hits every case alike.
for (let run = 0; run < runs; run++) {
  for (const { name, env } of bootEnvs) {
    const { stdout, wallMs } = await runChild(['dist/server.js'], env, (line) => line.includes('ready"'))
    const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { message: string, bootMs?: number, elapsedMs?: number })
    const bootMs = lines.find((line) => line.message.endsWith('ready'))?.bootMs ?? NaN
    // The "Resolved N secrets" line: time spent in resolveSecrets, client import included.
    const resolveMs = lines.find((line) => line.message.startsWith('Resolved'))?.elapsedMs ?? 0
    record(name, { spawnToReadyMs: wallMs, bootMs, resolveMs })
  }
  for (const transport of ['grpc', 'rest']) {
    const host = transport === 'grpc' ? grpcFake.host : restFake.host
    const { stdout } = await runChild(['bench/secrets-client-probe.ts', transport, host], {})
    record(`client over ${transport}`, JSON.parse(stdout) as Record<string, number>)
  }
}
const results = Object.fromEntries([...samples].map(([name, list]) =>
  [name, Object.fromEntries(Object.keys(list[0] ?? {}).map((key) => [key, median(list.map((sample) => sample[key] ?? NaN))]))]))

await grpcFake.close()
restFake.close()
process.stdout.write(`${JSON.stringify({ node: process.version, runs, loadAverage: os.loadavg().map((load) => load.toFixed(1)), results }, null, 2)}\n`)
