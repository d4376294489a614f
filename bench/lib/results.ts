import type { LoadNumbers, RoundNumbers, SoakNumbers } from './measure.ts'
import { median } from './stats.ts'

// What `npm run bench` measured for each target, sample by sample, and the
// figures made from it. Sample i of every target comes from the same round
// (or the same turn of cold starts), so a ratio to bare Fastify is taken
// within each round and the median of those ratios reported: a slow minute
// on a shared machine then slows both sides of one ratio, not one side of
// a median.

export interface TargetResults {
  name: string
  /** Spawn → first 200, no compile cache; empty when not measured. */
  coldStartsMs: number[]
  /** The same with a warm NODE_COMPILE_CACHE; empty when not measured. */
  cachedColdStartsMs: number[]
  rounds: RoundNumbers[]
  /** What the OTLP sink received from this target, when it exports. */
  exported?: { exports: number, bytes: number }
}

/** One number per sample (round or cold start), aligned across targets. */
export type Samples = (target: TargetResults) => number[]

export const coldStart: Samples = (t) => t.coldStartsMs
export const cachedColdStart: Samples = (t) => t.cachedColdStartsMs
export const rssIdle: Samples = (t) => t.rounds.map((round) => round.rssIdleBytes)
export const rssAfterLoad: Samples = (t) => t.rounds.map((round) => round.rssAfterLoadBytes)
export function atLoad (connections: number, field: keyof LoadNumbers): Samples {
  return (t) => t.rounds.map((round) => round.load[connections]?.[field] ?? Number.NaN)
}

/** The median sample; NaN when the target has none. */
export function valueOf (target: TargetResults, samples: Samples): number {
  return median(samples(target).filter(Number.isFinite))
}

/** Median over samples of target ÷ baseline, taken sample by sample. */
export function ratioOf (target: TargetResults, baseline: TargetResults, samples: Samples): number {
  const ours = samples(target)
  const theirs = samples(baseline)
  const ratios = ours.map((value, i) => value / (theirs[i] ?? Number.NaN)).filter(Number.isFinite)
  return median(ratios)
}

/** Median over rounds of target − from, taken round by round. */
export function differenceOf (target: TargetResults, from: TargetResults, samples: Samples): number {
  const ours = samples(target)
  const theirs = samples(from)
  return median(ours.map((value, i) => value - (theirs[i] ?? Number.NaN)).filter(Number.isFinite))
}

/** Errors and non-2xx responses at `connections`, summed over every round. */
export function failuresOf (target: TargetResults, connections: number): number {
  return target.rounds.reduce((sum, round) => sum + (round.load[connections]?.errors ?? 0) + (round.load[connections]?.non2xx ?? 0), 0)
}

export interface SoakVerdict {
  /** Median RSS over the second sixth of the soak (seconds 10–20 of 60). */
  earlyBytes: number
  /** Median RSS over its last sixth (seconds 50–60 of 60). */
  lateBytes: number
  maxAfterSettleBytes: number
  growth: number
  flat: boolean
}

/** RSS is flat if the last sixth's median is within 5 % of the second sixth's: the first sixth is start-up and warm-up. */
export const FLAT_GROWTH = 0.05

export function soakVerdict (soak: SoakNumbers): SoakVerdict {
  const samples = soak.rssBytes
  const sixth = Math.max(1, Math.floor(samples.length / 6))
  const earlyBytes = median(samples.slice(sixth, 2 * sixth))
  const lateBytes = median(samples.slice(-sixth))
  const growth = lateBytes / earlyBytes - 1
  return { earlyBytes, lateBytes, maxAfterSettleBytes: Math.max(...samples.slice(sixth)), growth, flat: growth <= FLAT_GROWTH }
}
