// `npm run bench:compare -- <ref> [<ref> ...]`: the default service as built
// at each git ref (and `.` for the working tree's dist/), against bare
// Fastify, in one interleaved run: server CPU per request, requests/s and p99
// at one connection count, cold start and RSS after load, each as a ratio to
// bare Fastify taken round by round. It is how docs/benchmarks.md's history
// ("what bought what") was measured, and how to check what a change of yours
// costs before it lands.
//
// Each ref is exported with `git archive` into a temporary folder and built
// there with its own scripts/build.ts; a ref whose package-lock.json differs
// from the working tree's gets its own `npm ci --ignore-scripts`, kept in the
// same folder for the next run.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { pinningNote } from './lib/cpu-pinning.ts'
import { measureColdStart, measureRound, type BenchSettings } from './lib/measure.ts'
import { atLoad, coldStart, ratioOf, rssAfterLoad, valueOf, type TargetResults } from './lib/results.ts'
import { rotate } from './lib/stats.ts'
import { BASELINE, serviceArgs } from './lib/targets.ts'
import type { Target } from './lib/target-process.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WORK = join(tmpdir(), 'bench-compare')

const { values: flags, positionals: refs } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '80' },
    'cold-starts': { type: 'string', default: '5' },
  },
})
if (refs.length === 0) throw new Error('usage: npm run bench:compare -- <git ref or .> [<git ref or .> ...]')
const connections = Number(flags.connections)
const settings: BenchSettings = {
  rounds: Number(flags.rounds),
  durationSeconds: Number(flags.duration),
  warmupSeconds: 1,
  coldStarts: Number(flags['cold-starts']),
  connections: [connections],
  idleSettleMs: 1_000,
  soakSeconds: 0,
  soakConnections: 0,
}

function say (line: string): void {
  process.stdout.write(`${line}\n`)
}

const lockHash = async (dir: string) => createHash('sha256').update(await readFile(join(dir, 'package-lock.json'))).digest('hex').slice(0, 16)

/** Builds `ref` in its own folder and returns the target that runs its dist/server.js, with the node flags of its own `npm start`. */
async function buildRef (ref: string): Promise<Target & { subject: string }> {
  if (ref === '.') {
    if (!existsSync(join(ROOT, 'dist/server.js'))) throw new Error('"." compares the working tree\'s dist/: run npm run build first')
    return { name: '. (working tree)', subject: 'the working tree\'s dist/', args: serviceArgs(ROOT, join(ROOT, 'dist/server.js')), env: {} }
  }
  const { stdout } = await run('git', ['log', '-1', '--format=%H%x00%s', ref], { cwd: ROOT })
  const [sha = '', subject = ''] = stdout.trim().split('\0')
  const dir = join(WORK, sha)
  if (!existsSync(join(dir, 'dist/server.js'))) {
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await run('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: ROOT })
    const hash = await lockHash(dir)
    const modules = hash === await lockHash(ROOT) ? join(ROOT, 'node_modules') : join(WORK, `node_modules-${hash}`, 'node_modules')
    if (!existsSync(modules)) {
      const installDir = join(WORK, `node_modules-${hash}`)
      await mkdir(installDir, { recursive: true })
      await run('cp', [join(dir, 'package.json'), join(dir, 'package-lock.json'), installDir])
      say(`bench:compare: npm ci for ${ref} (its package-lock.json differs)`)
      await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: installDir, maxBuffer: 64 * 1024 * 1024 })
    }
    await symlink(modules, join(dir, 'node_modules'))
    await run(process.execPath, ['scripts/build.ts'], { cwd: dir })
  }
  // The subject's first clause: the history table's rows stay one line each.
  const clause = subject.split(/[:;(]/)[0]?.trim() ?? ''
  return { name: ref === sha.slice(0, ref.length) ? sha.slice(0, 7) : `${ref} (${sha.slice(0, 7)})`, subject: clause.length > 90 ? `${clause.slice(0, 89)}…` : clause, args: serviceArgs(dir, join(dir, 'dist/server.js')), env: {} }
}

const builds = []
for (const ref of refs) builds.push(await buildRef(ref))
const targets: Target[] = [{ name: BASELINE, args: ['dist-bench/bench/baseline-fastify.js'], env: {} }, ...builds]
const results = new Map<string, TargetResults>(targets.map((t) => [t.name, { name: t.name, coldStartsMs: [], cachedColdStartsMs: [], rounds: [] }]))
const resultsOf = (name: string) => results.get(name) as TargetResults

say(`bench:compare: ${pinningNote()}; ${JSON.stringify(settings)}`)
for (let i = 0; i < settings.coldStarts; i++) {
  for (const target of rotate(targets, i)) resultsOf(target.name).coldStartsMs.push(await measureColdStart(target))
}
for (let r = 0; r < settings.rounds; r++) {
  for (const target of rotate(targets, r)) {
    const round = await measureRound(target, settings, [connections])
    resultsOf(target.name).rounds.push(round)
    say(`bench:compare: round ${r + 1}/${settings.rounds} ${target.name}: ${round.load[connections]?.cpuUsPerRequest.toFixed(1)} µs CPU/req, ${round.load[connections]?.requestsPerSecond} req/s`)
  }
}

const bare = resultsOf(BASELINE)
const cpu = atLoad(connections, 'cpuUsPerRequest')
say('')
say(`| build | CPU per request at ${connections} connections | req/s | p99 | cold start | RSS after load |`)
say('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const target of targets) {
  const result = resultsOf(target.name)
  const subject = 'subject' in target ? ` ${String(target.subject)}` : ''
  const r = (samples: Parameters<typeof ratioOf>[2]) => `${ratioOf(result, bare, samples).toFixed(2)}×`
  say(`| ${target.name}${subject} | ${valueOf(result, cpu).toFixed(1)} µs (${r(cpu)}) | ${r(atLoad(connections, 'requestsPerSecond'))} | ${r(atLoad(connections, 'p99Ms'))} | ${valueOf(result, coldStart).toFixed(0)} ms (${r(coldStart)}) | ${r(rssAfterLoad)} |`)
}
