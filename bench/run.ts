// `npm run bench`: the built service against bare Fastify and raw node:http on
// this machine, one server at a time, rounds interleaved; medians and ratios
// to bare Fastify go to docs/benchmarks.md and docs/benchmarks.svg.
// `npm run bench -- --quick` is a fast check that writes nothing.
import { parseArgs } from 'node:util'
import { svgChart } from './lib/chart.ts'
import { describeMachine, writeBenchmarksDoc } from './lib/doc.ts'
import { measureColdStart, measureRound, summariseTarget, type BenchSettings, type RoundNumbers } from './lib/measure.ts'
import { BASELINE, markdownTable, SERVICE } from './lib/report.ts'
import { startSink } from './lib/sink-process.ts'
import { rotate } from './lib/stats.ts'
import type { Target } from './lib/target-process.ts'

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'cold-starts': { type: 'string', default: '10' },
    connections: { type: 'string', default: '80,200' },
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean' },
  },
})
/** A flag's value as a number that is at least `min`, or a clear stop. */
function count (flag: string, raw: string, min = 1): number {
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) throw new Error(`--${flag} must be a number >= ${min}, got "${raw}"`)
  return value
}

const quick = flags.quick
const settings: BenchSettings = {
  rounds: quick ? 1 : count('rounds', flags.rounds),
  durationSeconds: quick ? 1 : count('duration', flags.duration),
  warmupSeconds: quick ? 0 : count('warmup', flags.warmup, 0),
  coldStarts: quick ? 2 : count('cold-starts', flags['cold-starts']),
  connections: flags.connections.split(',').map((raw) => count('connections', raw)),
  idleSettleMs: quick ? 200 : 1_000,
}
const write = flags.write ?? !quick

function say (line: string): void {
  process.stdout.write(`${line}\n`)
}

const sink = await startSink()
const TRACING = `${SERVICE} + tracing`
const targets: Target[] = [
  { name: 'node:http', args: ['dist-bench/baseline-node-http.js'], env: {} },
  { name: BASELINE, args: ['dist-bench/baseline-fastify.js'], env: {} },
  // Default config: LOG_REQUESTS on, one log line per request (to /dev/null here).
  { name: SERVICE, args: ['dist/server.js'], env: {} },
  // Every request sampled, exported over OTLP/HTTP to the local sink: the most
  // tracing can cost.
  { name: TRACING, args: ['dist/server.js'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on' } },
]

const machine = describeMachine()
say(`bench: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${process.version}, load average ${machine.loadAverage}`)
say(`bench: ${JSON.stringify(settings)}`)
const startedAt = new Date()
try {
  const coldStarts = new Map<string, number[]>(targets.map((t) => [t.name, []]))
  for (let i = 0; i < settings.coldStarts; i++) {
    for (const target of rotate(targets, i)) coldStarts.get(target.name)?.push(await measureColdStart(target))
  }
  say(`bench: cold starts done (${settings.coldStarts} per target)`)

  const rounds = new Map<string, RoundNumbers[]>(targets.map((t) => [t.name, []]))
  for (let r = 0; r < settings.rounds; r++) {
    for (const target of rotate(targets, r)) {
      const round = await measureRound(target, settings)
      rounds.get(target.name)?.push(round)
      say(`bench: round ${r + 1}/${settings.rounds} ${target.name}: ${settings.connections.map((c) => `${c} conns ${round.load[c]?.requestsPerSecond} rps p99 ${round.load[c]?.p99Ms} ms ${round.load[c]?.cpuUsPerRequest.toFixed(0)} µs CPU/req`).join(', ')}`)
    }
  }

  const summaries = targets.map((t) => summariseTarget(t.name, coldStarts.get(t.name) ?? [], rounds.get(t.name) ?? [], settings.connections))
  const table = markdownTable(summaries, settings)
  const sinkStats = await sink.stats()
  say('')
  say(table)
  say(`\nOTLP sink: ${sinkStats.exports} exports, ${sinkStats.bytes} bytes received from "${TRACING}".`)
  if (write) {
    const files = await writeBenchmarksDoc({
      machine,
      startedAt,
      finishedAt: new Date(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      settings,
      table,
      svg: svgChart(summaries, settings.connections, `Ratio to bare Fastify (median of ${settings.rounds} rounds; ${startedAt.toISOString().slice(0, 10)})`),
      sinkStats,
      tracingName: TRACING,
    })
    say(`bench: wrote ${files.join(' and ')}`)
  }
} finally {
  await sink.stop()
}
