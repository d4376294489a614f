import type { BenchSettings, TargetSummary } from './measure.ts'

// Turns the medians into the markdown table of docs/benchmarks.md: one row per
// metric, one column per target, each value with its ratio to bare Fastify,
// and the issue's targets for the service checked in the last column.

export const BASELINE = 'Fastify (bare)'
export const SERVICE = 'service'

export interface Metric {
  label: string
  unit: string
  value: (target: TargetSummary) => number
  /** The issue's target for the service, as a ratio to bare Fastify. */
  target?: { ratio: number, atLeast: boolean }
  /** When set, the target is an absolute check instead of a ratio. */
  mustBeZero?: boolean
  digits: number
}

const MIB = 1024 * 1024

export function metrics (connections: number[]): Metric[] {
  const [low = 80, high = 200] = connections
  return [
    { label: 'cold start (spawn → first 200)', unit: 'ms', value: (t) => t.coldStartMs, target: { ratio: 1.5, atLeast: false }, digits: 0 },
    ...connections.flatMap((c): Metric[] => [
      { label: `requests/s at ${c} connections`, unit: '', value: (t) => t.load[c]?.requestsPerSecond ?? Number.NaN, ...(c === low ? { target: { ratio: 0.75, atLeast: true } } : {}), digits: 0 },
      { label: `p99 at ${c} connections`, unit: 'ms', value: (t) => t.load[c]?.p99Ms ?? Number.NaN, target: { ratio: 1.5, atLeast: false }, digits: 0 },
      { label: `server CPU per request at ${c} connections`, unit: 'µs', value: (t) => t.load[c]?.cpuUsPerRequest ?? Number.NaN, digits: 0 },
    ]),
    { label: `errors + non-2xx at ${high} connections (all rounds)`, unit: '', value: (t) => (t.load[high]?.errors ?? 0) + (t.load[high]?.non2xx ?? 0), mustBeZero: true, digits: 0 },
    { label: 'RSS idle', unit: 'MiB', value: (t) => t.rssIdleBytes / MIB, target: { ratio: 1.5, atLeast: false }, digits: 1 },
    { label: 'RSS after load', unit: 'MiB', value: (t) => t.rssAfterLoadBytes / MIB, target: { ratio: 1.5, atLeast: false }, digits: 1 },
  ]
}

export function ratio (value: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : value / baseline
}

function verdict (metric: Metric, service: TargetSummary | undefined, baseline: TargetSummary): string {
  if (service === undefined) return ''
  if (metric.mustBeZero === true) return metric.value(service) === 0 ? '0 — met' : `**${metric.value(service)} — missed**`
  if (metric.target === undefined) return ''
  const r = ratio(metric.value(service), metric.value(baseline))
  const met = metric.target.atLeast ? r >= metric.target.ratio : r <= metric.target.ratio
  const goal = `${metric.target.atLeast ? '≥' : '≤'} ${metric.target.ratio}×`
  return met ? `${goal} — met` : `**${goal} — missed**`
}

export function markdownTable (summaries: TargetSummary[], settings: BenchSettings): string {
  const baseline = summaries.find((s) => s.name === BASELINE)
  if (baseline === undefined) throw new Error(`the report needs the ${BASELINE} baseline`)
  const service = summaries.find((s) => s.name === SERVICE)
  const header = `| metric (median) | ${summaries.map((s) => s.name).join(' | ')} | target for the service |`
  const rule = `| --- | ${summaries.map(() => '---:').join(' | ')} | --- |`
  const rows = metrics(settings.connections).map((metric) => {
    const cells = summaries.map((s) => {
      const value = metric.value(s)
      const shown = `${value.toFixed(metric.digits)}${metric.unit === '' ? '' : ` ${metric.unit}`}`
      return metric.mustBeZero === true ? shown : `${shown} (${ratio(value, metric.value(baseline)).toFixed(2)}×)`
    })
    return `| ${metric.label} | ${cells.join(' | ')} | ${verdict(metric, service, baseline)} |`
  })
  return [header, rule, ...rows].join('\n')
}
