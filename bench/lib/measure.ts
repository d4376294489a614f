import { runLoad } from '../../scripts/loadtest/run.ts'
import { summarise } from '../../scripts/loadtest/summary.ts'
import { median } from './stats.ts'
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
  connections: number[]
  /** How long a fresh server sits before its idle RSS is read. */
  idleSettleMs: number
}

/** Spawn to first 200, then kill: one cold-start sample. */
export async function measureColdStart (target: Target): Promise<number> {
  const running = await startTarget(target)
  await running.stop()
  return running.coldStartMs
}

async function load (pid: number, port: number, connections: number, durationSeconds: number): Promise<LoadNumbers> {
  const cpuBefore = await cpuSeconds(pid)
  const summary = summarise(await runLoad({
    url: new URL(`http://127.0.0.1:${port}/`),
    connections,
    durationSeconds,
    rate: undefined,
    headers: {},
    timeoutSeconds: 10,
    progress: undefined,
    label: '',
  }))
  const cpuUsed = await cpuSeconds(pid) - cpuBefore
  const completed = summary.status2xx + summary.non2xx
  return {
    requestsPerSecond: summary.requestsPerSecond,
    p99Ms: summary.latencyMs.p99,
    errors: summary.errors,
    non2xx: summary.non2xx,
    cpuUsPerRequest: completed === 0 ? Number.NaN : (cpuUsed * 1e6) / completed,
  }
}

/** One throughput round: idle RSS, a dropped warm-up, each connection level, RSS after load. */
export async function measureRound (target: Target, settings: BenchSettings): Promise<RoundNumbers> {
  const running = await startTarget(target)
  const pid = running.child.pid as number
  try {
    await new Promise((resolve) => setTimeout(resolve, settings.idleSettleMs))
    const rssIdleBytes = await rssBytes(running.child.pid as number)
    // Lets V8 optimise the hot paths first; its numbers are dropped.
    if (settings.warmupSeconds > 0) await load(pid, running.port, settings.connections[0] ?? 80, settings.warmupSeconds)
    const numbers: Record<number, LoadNumbers> = {}
    for (const connections of settings.connections) numbers[connections] = await load(pid, running.port, connections, settings.durationSeconds)
    return { rssIdleBytes, rssAfterLoadBytes: await rssBytes(running.child.pid as number), load: numbers }
  } finally {
    await running.stop()
  }
}

export interface TargetSummary {
  name: string
  coldStartMs: number
  rssIdleBytes: number
  rssAfterLoadBytes: number
  load: Record<number, LoadNumbers>
}

/** Medians over rounds (errors are summed: any error counts). */
export function summariseTarget (name: string, coldStartsMs: number[], rounds: RoundNumbers[], connections: number[]): TargetSummary {
  const load: Record<number, LoadNumbers> = {}
  for (const c of connections) {
    const runs = rounds.map((round) => round.load[c]).filter((run) => run !== undefined)
    load[c] = {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest)),
    }
  }
  return {
    name,
    coldStartMs: median(coldStartsMs),
    rssIdleBytes: median(rounds.map((round) => round.rssIdleBytes)),
    rssAfterLoadBytes: median(rounds.map((round) => round.rssAfterLoadBytes)),
    load,
  }
}
