// `npm run bench`: the built service against bare Fastify and raw node:http on
// this machine, one server at a time, rounds interleaved; the issue's targets,
// every target's figures, the cost ledger and a soak go to
// docs/benchmarks.md, the ratios to docs/benchmarks.svg.
// `npm run bench -- --quick` is a fast check that writes nothing.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { svgChart } from './lib/chart.ts'
import { pinningNote } from './lib/cpu-pinning.ts'
import { describeMachine, writeBenchmarksDoc } from './lib/doc.ts'
import { measureColdStart, measureRound, measureSoak, warmCompileCache, type BenchSettings } from './lib/measure.ts'
import { ledgerTable, soakSummary, targetsDetail, targetsTable } from './lib/report.ts'
import type { TargetResults } from './lib/results.ts'
import { startSink } from './lib/sink-process.ts'
import { rotate } from './lib/stats.ts'
import { benchTargets, SERVICE } from './lib/targets.ts'

const { values: flags } = parseArgs({
  allowNegative: true,
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    'cold-starts': { type: 'string', default: '10' },
    connections: { type: 'string', default: '80,200' },
    soak: { type: 'string', default: '60' },
    quick: { type: 'boolean', default: false },
    // --no-write prints the tables and leaves the docs alone.
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
  coldStarts: quick ? 1 : count('cold-starts', flags['cold-starts']),
  connections: flags.connections.split(',').map((raw) => count('connections', raw)),
  idleSettleMs: quick ? 200 : 1_000,
  soakSeconds: quick ? 6 : count('soak', flags.soak, 6),
  soakConnections: 50,
}
const write = flags.write ?? !quick

function say (line: string): void {
  process.stdout.write(`${line}\n`)
}

const sink = await startSink()
const cacheRoot = await mkdtemp(join(tmpdir(), 'bench-compile-cache-'))
const targets = benchTargets(sink.url)
const results = new Map<string, TargetResults>(targets.map((t) => [t.name, { name: t.name, coldStartsMs: [], cachedColdStartsMs: [], rounds: [] }]))
const resultsOf = (name: string) => results.get(name) as TargetResults

const machine = describeMachine()
say(`bench: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${process.version}, load average ${machine.loadAverage}; ${pinningNote()}`)
say(`bench: ${JSON.stringify(settings)}`)
const startedAt = new Date()
try {
  // Cold starts, without and then with a compile cache warmed as the image's is.
  const starting = targets.filter((t) => t.coldStart)
  const caching = targets.filter((t) => t.compileCache)
  for (const target of caching) await warmCompileCache(target, join(cacheRoot, String(targets.indexOf(target))))
  for (let i = 0; i < settings.coldStarts; i++) {
    for (const target of rotate(starting, i)) resultsOf(target.name).coldStartsMs.push(await measureColdStart(target))
    for (const target of rotate(caching, i)) resultsOf(target.name).cachedColdStartsMs.push(await measureColdStart(target, join(cacheRoot, String(targets.indexOf(target)))))
  }
  say(`bench: cold starts done (${settings.coldStarts} per target, with and without a compile cache)`)

  for (let r = 0; r < settings.rounds; r++) {
    for (const target of rotate(targets, r)) {
      const connections = target.headline ? settings.connections : settings.connections.slice(0, 1)
      const before = await sink.stats()
      const round = await measureRound(target, settings, connections)
      const after = await sink.stats()
      const result = resultsOf(target.name)
      result.rounds.push(round)
      if (after.exports > before.exports) {
        const sum = result.exported ?? { exports: 0, bytes: 0 }
        result.exported = { exports: sum.exports + after.exports - before.exports, bytes: sum.bytes + after.bytes - before.bytes }
      }
      say(`bench: round ${r + 1}/${settings.rounds} ${target.name}: ${connections.map((c) => `${c} conns ${round.load[c]?.requestsPerSecond} rps p99 ${round.load[c]?.p99Ms} ms ${round.load[c]?.cpuUsPerRequest.toFixed(1)} µs CPU/req`).join(', ')}`)
    }
  }

  const serviceTarget = targets.find((t) => t.name === SERVICE)
  if (serviceTarget === undefined) throw new Error('no service target')
  const soak = await measureSoak(serviceTarget, settings)
  say(`bench: soak done (${soak.rssBytes.length} RSS samples)`)

  const all = [...results.values()]
  const headline = targets.filter((t) => t.headline).map((t) => t.name)
  const exporters = all.filter((t) => t.exported !== undefined)
  const exported = exporters.length === 0
    ? '**The OTLP sink received nothing**: the exporting targets did not export, so their figures are the default service\'s.'
    : `The OTLP sink received ${exporters.map((t) => `${t.exported?.exports} exports (${((t.exported?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB) from "${t.name}"`).join(' and ')}.`
  const report = {
    targets: targetsTable(all, settings, soak),
    detail: targetsDetail(all, settings, headline),
    ledger: ledgerTable(all, settings),
    soak: soakSummary(soak, settings),
  }
  say('')
  for (const block of Object.values(report)) say(`${block}\n`)
  say(exported)
  if (write) {
    const files = await writeBenchmarksDoc({
      machine,
      startedAt,
      finishedAt: new Date(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      settings,
      pinning: pinningNote(),
      ...report,
      exported,
      svg: svgChart(headline.map(resultsOf), settings.connections, `Ratio to bare Fastify (median of ${settings.rounds} rounds; ${startedAt.toISOString().slice(0, 10)})`),
    })
    say(`bench: wrote ${files.join(' and ')}`)
  }
} finally {
  await sink.stop()
  await rm(cacheRoot, { recursive: true, force: true })
}
