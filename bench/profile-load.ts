// `npm run bench:profile`: where the service's CPU goes while it serves load.
// Runs `node --cpu-prof` on the unbundled build (dist-tsc/server.js, from
// `npm run build:tsc`), where each package is still its own files and each
// of the service's modules its own file, with the node flags of `npm start`
// and the default config or the environment given with --env NAME=value;
// sends --duration seconds of load at --connections, stops it with SIGTERM
// and charges the profile's samples to packages and service files, as
// bench:startup does for start-up. Shows which plugin or dependency a
// request pays for. After `npm run build`,
// `--entry dist/server.js` profiles the bundle instead: what runs in
// production, but charged to one file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runLoad } from '../scripts/loadtest/run.ts'
import { summarise } from '../scripts/loadtest/summary.ts'
import { cpuByOwner, type CpuProfile } from './lib/cpu-profile.ts'
import { startTarget } from './lib/target-process.ts'
import { serviceArgs } from './lib/targets.ts'

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '80' },
    env: { type: 'string', multiple: true, default: [] },
    entry: { type: 'string', default: 'dist-tsc/server.js' },
  },
})
const env = Object.fromEntries(flags.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))

function say (line = ''): void {
  process.stdout.write(`${line}\n`)
}

/** As `npm start` runs the service, with --entry in place of dist/server.js. */
const serviceCommand = serviceArgs(undefined, flags.entry)
const dir = await mkdtemp(join(tmpdir(), 'bench-profile-'))
try {
  const running = await startTarget({ name: 'service', args: ['--cpu-prof', '--cpu-prof-dir', dir, ...serviceCommand], env })
  const summary = summarise(await runLoad({
    url: new URL(`http://127.0.0.1:${running.port}/`),
    connections: Number(flags.connections),
    durationSeconds: Number(flags.duration),
    rate: undefined,
    headers: {},
    timeoutSeconds: 10,
    progress: undefined,
    label: '',
  }))
  await running.stop('SIGTERM')
  const [file] = await readdir(dir)
  if (file === undefined) throw new Error('node --cpu-prof wrote no profile')
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile
  const totals = [...cpuByOwner(profile).entries()].sort((a, b) => b[1] - a[1])
  const sum = totals.reduce((acc, [, value]) => acc + value, 0)
  say(`node --cpu-prof ${serviceCommand.join(' ')} ${JSON.stringify(env)}: ${summary.requestsPerSecond} requests/s at ${flags.connections} connections for ${flags.duration} s (profiled, so slower than the bench)`)
  say('CPU time by package and service file, start-up included, idle excluded; each sample charged to the innermost one on its stack:')
  for (const [owner, value] of totals.slice(0, 20)) say(`  ${owner.padEnd(48)} ${value.toFixed(0).padStart(7)} ms  ${((value / sum) * 100).toFixed(1).padStart(5)} %`)
  say(`  ${'total'.padEnd(48)} ${sum.toFixed(0).padStart(7)} ms`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
