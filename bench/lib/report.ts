import type { BenchSettings, SoakNumbers } from './measure.ts'
import {
  atLoad, cachedColdStart, coldStart, differenceOf, failuresOf, FLAT_GROWTH, ratioOf, rssAfterLoad, rssIdle, soakVerdict, valueOf,
  type Samples, type TargetResults,
} from './results.ts'
import { BASELINE, LEDGER, OLD_DEFAULT, OTLP_ALL, OTLP_TENTH, SERVICE } from './targets.ts'

// The markdown tables of docs/benchmarks.md, made from one run: the issue's
// targets, every target against bare Fastify, and the cost ledger.

const MIB = 1024 * 1024

interface Goal {
  /** "at least" for throughput, "at most" for latency, start-up and memory. */
  atLeast: boolean
  target: number
  floor: number
}

function find (results: TargetResults[], name: string): TargetResults {
  const found = results.find((t) => t.name === name)
  if (found === undefined) throw new Error(`the report needs "${name}", which the run did not measure`)
  return found
}

const times = (r: number) => `${r.toFixed(2)}×`

function judge (r: number, goal: Goal): string {
  const meets = (limit: number) => goal.atLeast ? r >= limit : r <= limit
  if (!Number.isFinite(r)) return '**not measured**'
  if (meets(goal.target)) return 'target met'
  if (meets(goal.floor)) return 'floor met, target missed'
  return '**floor missed**'
}

/** The figures, in its order, each as a ratio to bare Fastify with its verdict. */
export function targetsTable (results: TargetResults[], settings: BenchSettings, soak: SoakNumbers): string {
  const [low = 80, high = 200] = settings.connections
  const bare = find(results, BASELINE)
  const rps = atLoad(low, 'requestsPerSecond')
  const ratioRow = (label: string, name: string, samples: Samples, goal?: Goal): string => {
    const r = ratioOf(find(results, name), bare, samples)
    const shown = goal === undefined ? ['report it', ''] : [`${goal.atLeast ? '≥' : '≤'} ${goal.target}×`, `${goal.floor}×`]
    return `| ${label} | ${shown.join(' | ')} | ${times(r)} | ${goal === undefined ? 'reported' : judge(r, goal)} |`
  }
  const verdict = soakVerdict(soak)
  const failures = [SERVICE, OLD_DEFAULT, OTLP_TENTH, OTLP_ALL].reduce((sum, name) => sum + failuresOf(find(results, name), high), 0)
  return [
    '| figure (ratio to bare Fastify, same run) | target | must not be worse than | measured | |',
    '| --- | --- | --- | ---: | --- |',
    ratioRow(`req/s at ${low} connections, default config`, SERVICE, rps, { atLeast: true, target: 0.75, floor: 0.5 }),
    ratioRow(`p99 at ${low} connections, default config`, SERVICE, atLoad(low, 'p99Ms'), { atLeast: false, target: 1.5, floor: 2 }),
    ratioRow(`req/s at ${low} connections, the old default (\`LOG_REQUESTS=true\`)`, OLD_DEFAULT, rps),
    ratioRow('req/s exporting over OTLP, `OTEL_TRACES_SAMPLER_ARG=0.1`', OTLP_TENTH, rps, { atLeast: true, target: 0.6, floor: 0.45 }),
    ratioRow('req/s exporting every request (ratio 1)', OTLP_ALL, rps),
    ratioRow('cold start, spawn → first 200, no compile cache', SERVICE, coldStart, { atLeast: false, target: 1.25, floor: 1.5 }),
    ratioRow('cold start with a warm compile cache, against bare Fastify with one', SERVICE, cachedColdStart),
    ratioRow('RSS after load', SERVICE, rssAfterLoad, { atLeast: false, target: 1.25, floor: 1.5 }),
    `| RSS over a ${settings.soakSeconds} s soak at ${settings.soakConnections} connections | flat after the first ${Math.round(settings.soakSeconds / 6)} s | | ${verdict.growth >= 0 ? '+' : ''}${(verdict.growth * 100).toFixed(1)} % | ${verdict.flat ? 'target met' : '**target missed**'} |`,
    `| errors and non-2xx at ${high} connections (service targets, all rounds) | 0 | 0 | ${failures} | ${failures === 0 ? 'target met' : '**floor missed**'} |`,
  ].join('\n')
}

/** Every headline target, one row each, value and ratio to bare Fastify. */
export function targetsDetail (results: TargetResults[], settings: BenchSettings, headline: string[]): string {
  const bare = find(results, BASELINE)
  const [low = 80, high = 200] = settings.connections
  const columns: Array<{ label: string, samples: Samples, show: (value: number) => string }> = [
    { label: `req/s at ${low}`, samples: atLoad(low, 'requestsPerSecond'), show: (v) => v.toFixed(0) },
    { label: `p99 at ${low}`, samples: atLoad(low, 'p99Ms'), show: (v) => `${v.toFixed(0)} ms` },
    { label: `CPU per request at ${low}`, samples: atLoad(low, 'cpuUsPerRequest'), show: (v) => `${v.toFixed(1)} µs` },
    { label: `req/s at ${high}`, samples: atLoad(high, 'requestsPerSecond'), show: (v) => v.toFixed(0) },
    { label: `p99 at ${high}`, samples: atLoad(high, 'p99Ms'), show: (v) => `${v.toFixed(0)} ms` },
    { label: 'cold start', samples: coldStart, show: (v) => `${v.toFixed(0)} ms` },
    { label: 'cold start, compile cache', samples: cachedColdStart, show: (v) => `${v.toFixed(0)} ms` },
    { label: 'RSS idle', samples: rssIdle, show: (v) => `${(v / MIB).toFixed(1)} MiB` },
    { label: 'RSS after load', samples: rssAfterLoad, show: (v) => `${(v / MIB).toFixed(1)} MiB` },
  ]
  const rows = headline.map((name) => {
    const target = find(results, name)
    const cells = columns.map(({ samples, show }) => {
      const value = valueOf(target, samples)
      return Number.isFinite(value) ? `${show(value)} (${times(ratioOf(target, bare, samples))})` : '–'
    })
    return `| ${name} | ${cells.join(' | ')} |`
  })
  return [
    `| target (median; ratio to bare Fastify) | ${columns.map((c) => c.label).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...rows,
  ].join('\n')
}

/** The cost ledger: server CPU per request, and what each feature adds to the step before it. */
export function ledgerTable (results: TargetResults[], settings: BenchSettings): string {
  const [low = 80] = settings.connections
  const cpu = atLoad(low, 'cpuUsPerRequest')
  const logBytes = atLoad(low, 'logBytesPerRequest')
  const bare = find(results, BASELINE)
  const bareCpu = valueOf(bare, cpu)
  const rows = LEDGER.map((step) => {
    const withIt = find(results, step.with)
    const total = valueOf(withIt, cpu)
    const added = step.without === undefined ? undefined : differenceOf(withIt, find(results, step.without), cpu)
    const addedCell = added === undefined ? '' : `${added >= 0 ? '+' : '−'}${Math.abs(added).toFixed(1)} µs (${added >= 0 ? '+' : '−'}${Math.abs(added / bareCpu * 100).toFixed(0)} %)`
    const bytes = valueOf(withIt, logBytes)
    return `| ${step.feature} | ${addedCell} | ${total.toFixed(1)} µs (${times(ratioOf(withIt, bare, cpu))}) | ${Number.isFinite(bytes) ? bytes.toFixed(0) : '–'} | ${step.how} |`
  })
  return [
    '| feature | adds, CPU per request (% of bare Fastify\'s) | CPU per request with it (ratio to bare Fastify) | stdout bytes per request | measured as |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n')
}

export function soakSummary (soak: SoakNumbers, settings: BenchSettings): string {
  const verdict = soakVerdict(soak)
  const mib = (bytes: number) => (bytes / MIB).toFixed(1)
  const step = Math.max(1, Math.round(settings.soakSeconds / 6))
  const sampled = soak.rssBytes.filter((_, i) => (i + 1) % step === 0).map(mib)
  return `The service under ${settings.soakSeconds} s of constant load at ${settings.soakConnections} connections ` +
    `(${soak.load.requestsPerSecond.toFixed(0)} req/s, ${soak.load.errors + soak.load.non2xx} errors and non-2xx): ` +
    `RSS every ${step} s ${sampled.join(', ')} MiB; median ${mib(verdict.earlyBytes)} MiB over the second sixth, ` +
    `${mib(verdict.lateBytes)} MiB over the last (${verdict.growth >= 0 ? '+' : ''}${(verdict.growth * 100).toFixed(1)} %, flat within ${FLAT_GROWTH * 100} %: ${verdict.flat ? 'yes' : '**no**'}), ` +
    `highest after the first sixth ${mib(verdict.maxAfterSettleBytes)} MiB.`
}
