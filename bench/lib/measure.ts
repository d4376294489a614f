import { runLoad } from '../../scripts/loadtest/run.ts'
import { summarise } from '../../scripts/loadtest/summary.ts'
import { cpuSeconds, rssBytes, startTarget, type Target } from './target-process.ts'

// The measurements of `npm run bench`. One target runs at a time; the caller
// interleaves targets so that drift on a shared machine hits all of them.

export interface LoadNumbers {
  requestsPerSecond: number
  p99Ms: number
  /** Connection errors and timeouts. */
  errors: number
  non2xx: number
  /**
   * The server's CPU time (user + system) per completed request. Unlike
   * requests/s it barely moves when other processes take the machine's
   * cores, so it is the steadier measure of what a request costs.
   */
  cpuUsPerRequest: number
  /** Bytes the server wrote to stdout per completed request: its log. */
  logBytesPerRequest: number
}

export interface RoundNumbers {
  rssIdleBytes: number
  rssAfterLoadBytes: number
  /** Keyed by connection count. */
  load: Record<number, LoadNumbers>
}

export interface BenchSettings {
  rounds: number
  durationSeconds: number
  warmupSeconds: number
  coldStarts: number
  /** The connection counts of the headline targets; the first one is also the ledger's. */
  connections: number[]
  /** How long a fresh server sits before its idle RSS is read. */
  idleSettleMs: number
  soakSeconds: number
  soakConnections: number
}

/** Spawn to first 200, then kill: one cold-start sample. With `compileCacheDir`, Node reads (and on a clean exit writes) V8's code cache there. */
export async function measureColdStart (target: Target, compileCacheDir?: string): Promise<number> {
  const running = await startTarget(compileCacheDir === undefined ? target : { ...target, env: { ...target.env, NODE_COMPILE_CACHE: compileCacheDir } })
  await running.stop()
  return running.coldStartMs
}

/**
 * Fills `compileCacheDir` as the image's compile-cache stage does
 * (scripts/warm-compile-cache.ts): one boot, its first 200, then SIGTERM, on
 * which Node writes the code cache of everything compiled so far.
 */
export async function warmCompileCache (target: Target, compileCacheDir: string): Promise<void> {
  const running = await startTarget({ ...target, env: { ...target.env, NODE_COMPILE_CACHE: compileCacheDir } })
  await running.stop('SIGTERM')
  if (running.child.exitCode !== 0) throw new Error(`${target.name} exited with ${running.child.exitCode ?? running.child.signalCode} on SIGTERM, so Node wrote no compile cache`)
}

async function load (running: Awaited<ReturnType<typeof startTarget>>, connections: number, durationSeconds: number): Promise<LoadNumbers> {
  const pid = running.child.pid as number
  const cpuBefore = await cpuSeconds(pid)
  const logBytesBefore = running.stdoutBytes()
  const summary = summarise(await runLoad({
    url: new URL(`http://127.0.0.1:${running.port}/`),
    connections,
    durationSeconds,
    rate: undefined,
    headers: {},
    timeoutSeconds: 10,
    progress: undefined,
    label: '',
  }))
  const cpuUsed = await cpuSeconds(pid) - cpuBefore
  // Lines of the last responses may still be in the pipe.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const logBytes = running.stdoutBytes() - logBytesBefore
  const completed = summary.status2xx + summary.non2xx
  return {
    requestsPerSecond: summary.requestsPerSecond,
    p99Ms: summary.latencyMs.p99,
    errors: summary.errors,
    non2xx: summary.non2xx,
    cpuUsPerRequest: completed === 0 ? Number.NaN : (cpuUsed * 1e6) / completed,
    logBytesPerRequest: completed === 0 ? Number.NaN : logBytes / completed,
  }
}

/** One throughput round: idle RSS, a dropped warm-up, each connection level, RSS after load. */
export async function measureRound (target: Target, settings: BenchSettings, connections: number[]): Promise<RoundNumbers> {
  const running = await startTarget(target)
  try {
    await new Promise((resolve) => setTimeout(resolve, settings.idleSettleMs))
    const rssIdleBytes = await rssBytes(running.child.pid as number)
    // Lets V8 optimise the hot paths first; its numbers are dropped.
    if (settings.warmupSeconds > 0) await load(running, connections[0] ?? 80, settings.warmupSeconds)
    const numbers: Record<number, LoadNumbers> = {}
    for (const c of connections) numbers[c] = await load(running, c, settings.durationSeconds)
    return { rssIdleBytes, rssAfterLoadBytes: await rssBytes(running.child.pid as number), load: numbers }
  } finally {
    await running.stop()
  }
}

export interface SoakNumbers {
  /** RSS read once a second while the load ran; index 0 is after the first second. */
  rssBytes: number[]
  load: LoadNumbers
}

/** Constant load for `soakSeconds`, RSS read every second. */
export async function measureSoak (target: Target, settings: BenchSettings): Promise<SoakNumbers> {
  const running = await startTarget(target)
  const pid = running.child.pid as number
  const samples: number[] = []
  const sampler = setInterval(() => { rssBytes(pid).then((bytes) => samples.push(bytes), () => {}) }, 1_000)
  try {
    const numbers = await load(running, settings.soakConnections, settings.soakSeconds)
    return { rssBytes: samples, load: numbers }
  } finally {
    clearInterval(sampler)
    await running.stop()
  }
}
