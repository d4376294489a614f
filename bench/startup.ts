// `npm run bench:startup`: where the service's start-up time goes. Prints
// 1. the phases of `node dist/server.js` (median of --runs), timed by
//    bench/startup-preload.ts through --import, so dist/ is unchanged;
// 2. Fastify's plugin tree with the time each plugin took to register;
// 3. what importing each dependency costs alone, in a fresh process;
// 4. CPU time up to the first response by package, from one --cpu-prof run.
// Run it after adding a dependency to see what the dependency costs.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { cpuByOwner, type CpuProfile } from './lib/cpu-profile.ts'
import { median } from './lib/stats.ts'
import { startTarget } from './lib/target-process.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PRELOAD = './dist-bench/bench/startup-preload.js'
const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const runs = Number(flags.runs)

function say (line = ''): void {
  process.stdout.write(`${line}\n`)
}
const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`

interface Report { marks: Record<string, number>, plugins: string, firstResponseMonotonicUs?: number }

/**
 * One start-up with the preload, stopped with SIGTERM after its first 200.
 * The phases time the production bundle (dist/server.js); the import costs
 * and the CPU profile use the unbundled build (dist-tsc/), where each
 * package is still its own file and so can be named.
 */
async function profiledStart (dir: string, extraArgs: string[] = [], entry = 'dist/server.js'): Promise<Report & { coldStartMs: number }> {
  const reportFile = join(dir, `report-${Math.random().toString(36).slice(2)}.json`)
  const running = await startTarget({ name: 'service', args: [...extraArgs, '--import', PRELOAD, entry], env: { BENCH_STARTUP_REPORT: reportFile } })
  await running.stop('SIGTERM')
  return { ...JSON.parse(await readFile(reportFile, 'utf8')) as Report, coldStartMs: running.coldStartMs }
}

const PHASES: Array<[string, string, string]> = [
  ['node bootstrap', '', 'bootstrapComplete'],
  ['--import preload (harness only)', 'bootstrapComplete', 'userCodeStarted'],
  ['modules, config, logger (to Fastify())', 'userCodeStarted', 'fastifyCreated'],
  ['plugin and route registration', 'fastifyCreated', 'pluginsReady'],
  ['listen', 'pluginsReady', 'listening'],
  ['first request answered', 'listening', 'firstResponse'],
]

const dir = await mkdtemp(join(tmpdir(), 'bench-startup-'))
try {
  const reports: Array<Report & { coldStartMs: number }> = []
  for (let i = 0; i < runs; i++) reports.push(await profiledStart(dir))
  say(`Start-up of node dist/server.js, default config, median of ${runs} runs (Node ${process.version}; ms since process start):`)
  for (const [label, from, to] of PHASES) {
    const durations = reports.map((r) => (r.marks[to] ?? Number.NaN) - (from === '' ? 0 : r.marks[from] ?? Number.NaN))
    say(`  ${label.padEnd(42)} ${ms(median(durations))}   (ends at ${ms(median(reports.map((r) => r.marks[to] ?? Number.NaN))).trim()})`)
  }
  say(`  ${'spawn → first 200, seen by the client'.padEnd(42)} ${ms(median(reports.map((r) => r.coldStartMs)))}`)
  say('  ("first request answered" includes the client\'s 1 ms polling; the preload is not in production.)')

  say('\nPlugin registration (fastify.printPlugins() of the last run):')
  say((reports.at(-1)?.plugins ?? '').split('\n').filter((line) => line !== '' && !line.includes('bound _after')).map((line) => `  ${line}`).join('\n'))

  const run = promisify(execFile)
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const specifiers = [...Object.keys(pkg.dependencies), './dist-tsc/app.js', './dist-tsc/server.js']
  say(`\nImport cost, each alone in a fresh Node process (median of ${runs}; shared sub-dependencies count in each):`)
  for (const specifier of specifiers) {
    const samples: number[] = []
    for (let i = 0; i < runs; i++) {
      const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t))`
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT })
      samples.push(Number(stdout))
    }
    const note = specifier === './dist-tsc/server.js' ? ' (the whole graph, unbundled; importing it starts nothing)' : ''
    say(`  ${specifier.padEnd(42)} ${ms(median(samples))}${note}`)
  }

  const profileDir = join(dir, 'profile')
  const profiled = await profiledStart(dir, ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '100'], 'dist-tsc/server.js')
  const [file] = await readdir(profileDir)
  if (file === undefined) throw new Error('node --cpu-prof wrote no profile')
  const profile = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile
  const totals = [...cpuByOwner(profile, profiled.firstResponseMonotonicUs).entries()].sort((a, b) => b[1] - a[1])
  const sum = totals.reduce((acc, [, value]) => acc + value, 0)
  say('\nCPU time from process start to the first response, one --cpu-prof run (100 µs samples; idle excluded),')
  say('each sample charged to the innermost package on its stack (a require() is charged to the package that calls it):')
  const shown = totals.slice(0, 15)
  const rest = totals.slice(15)
  if (rest.length > 0) shown.push([`${rest.length} others (packages and service files)`, rest.reduce((acc, [, value]) => acc + value, 0)])
  for (const [owner, value] of shown) say(`  ${owner.padEnd(42)} ${ms(value)}  ${((value / sum) * 100).toFixed(0).padStart(3)} %`)
  say(`  ${'total'.padEnd(42)} ${ms(sum)}   (profiling slows start-up; compare shares, not totals)`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
