import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const GUARD = fileURLToPath(new URL('./loopback-guard.ts', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  /** Lines the process wrote to stdout so far, parsed where they are JSON. */
  logs: () => Array<Record<string, unknown>>
  stdout: () => string
  stderr: () => string
  /** Resolves with the first log line that matches. */
  waitForLog: (predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>
  /** Resolves with the exit code (or 128 + signal number when killed), once stdout and stderr have been read to the end. */
  exited: Promise<number>
}

/**
 * Runs a server entry point (src/server.ts by default) as a real child
 * process under the same Node as the tests, with only the given environment
 * plus PATH. It is killed, if still running, when the test finishes.
 */
export function spawnServer (env: Record<string, string>, entry = 'src/server.ts'): ServerProcess {
  const child = spawn(process.execPath, ['--import', GUARD, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: Array<() => void> = []
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  // 'close', not 'exit': a child's stdout can still hold lines when it exits.
  const exited = once(child, 'close').then(([code, signal]) =>
    typeof code === 'number' ? code : 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 0))
  onTestFinished(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })

  // Complete lines only: a pipe can deliver a line in two chunks. Each line
  // is parsed once: a test that waits on megabytes of log lines would
  // otherwise parse all of them again for every chunk that arrives.
  const parsed: Array<Record<string, unknown>> = []
  let parsedUpTo = 0
  const logs = () => {
    const complete = stdout.lastIndexOf('\n') + 1
    if (complete > parsedUpTo) {
      for (const line of stdout.slice(parsedUpTo, complete).split('\n')) {
        if (line.startsWith('{')) parsed.push(JSON.parse(line) as Record<string, unknown>)
      }
      parsedUpTo = complete
    }
    return parsed.slice()
  }
  return {
    child,
    logs,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitForLog (predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = logs().find(predicate)
        if (found !== undefined) return found
        if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before the log line appeared.\nstdout:\n${stdout}\nstderr:\n${stderr}`)
        if (Date.now() > deadline) throw new Error(`log line not seen within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`)
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 100))])
      }
    },
  }
}

/** Starts a server on a free port and waits until it logs that it is ready. */
export async function startServerProcess (env: Record<string, string> = {}, entry?: string): Promise<ServerProcess & { port: number }> {
  const server = spawnServer({ PORT: '0', HOST: '127.0.0.1', ...env }, entry)
  const ready = await server.waitForLog((line) => typeof line.port === 'number' && /ready$/.test(String(line.message)))
  return { ...server, port: ready.port as number }
}
