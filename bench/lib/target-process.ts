import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { pinnedNode } from './cpu-pinning.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// One server under test as a child process: started, timed to its first 200,
// measured, killed. Everything stays on 127.0.0.1.

export interface Target {
  name: string
  /** Arguments after `node`. */
  args: string[]
  env: Record<string, string>
}

export interface RunningTarget {
  child: ChildProcess
  port: number
  /** From spawn() to the first 200 on GET /. */
  coldStartMs: number
  /** Bytes the target has written to stdout so far: its log lines. */
  stdoutBytes: () => number
  /** SIGKILL by default; SIGTERM lets the target shut down (and write profiles and its compile cache). */
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

/** A port that was free a moment ago; the child binds it. */
async function freePort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function getStatus (port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', () => resolve(0))
  })
}

/** Targets still running, so that an interrupted bench leaves none behind. */
const live = new Set<ChildProcess>()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of live) child.kill('SIGKILL')
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
  })
}

/**
 * V8's heap as Node sizes it on Cloud Run's default instance (512 MiB), for
 * every target alike. Inside a 512 MiB memory cgroup Node gives V8 a heap
 * limit of 259 MiB and a new space of about 5 MiB; on a 24 GiB machine it
 * would let the new space grow to 128 MiB under load, in steps of tens of
 * MiB, and RSS with it (in a 60 s soak, the service was at 129 MiB after
 * 5 s and 206 MiB at the end; inside the cgroup, 103 to 107 MiB throughout).
 * These flags give a heap limit within 2 % of the cgroup's and a new space
 * of 4 MiB, without root.
 */
export const CLOUD_RUN_512_MIB_HEAP = ['--max-semi-space-size=2', '--max-old-space-size=256']

export async function startTarget (target: Target, { timeoutMs = 15_000 } = {}): Promise<RunningTarget> {
  const port = await freePort()
  const startedAt = performance.now()
  // stdout is a pipe, as on Cloud Run, read as fast as it fills and counted
  // (log bytes per request); stderr is kept for crashes.
  const { command, args } = pinnedNode([...CLOUD_RUN_512_MIB_HEAP, ...target.args])
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...target.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let stdoutBytes = 0
  child.stdout?.on('data', (chunk: Buffer) => { stdoutBytes += chunk.length })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }
  // Poll every millisecond or so: a refused connect costs microseconds, and
  // the poll interval bounds the cold start's resolution.
  for (;;) {
    const status = await getStatus(port)
    if (status === 200) return { child, port, coldStartMs: performance.now() - startedAt, stdoutBytes: () => stdoutBytes, stop }
    if (child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode} before answering:\n${stderr}`)
    if (performance.now() - startedAt > timeoutMs) {
      await stop()
      throw new Error(`${target.name} did not answer 200 within ${timeoutMs} ms (last status ${status}):\n${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** Resident set size of a live process, from /proc (Linux). */
export async function rssBytes (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kb) * 1024
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100

/** User + system CPU seconds a live process has used, from /proc/<pid>/stat (Linux). */
export async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state is field 3, utime field 14 and stime field 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}
