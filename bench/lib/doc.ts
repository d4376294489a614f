import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchSettings } from './measure.ts'
import { CLOUD_RUN_512_MIB_HEAP } from './target-process.ts'
import { serviceArgs } from './targets.ts'

// Writes the generated part of docs/benchmarks.md (between the markers, so the
// hand-written analysis around it survives a re-run) and docs/benchmarks.svg.

const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url))
const SVG = fileURLToPath(new URL('../../docs/benchmarks.svg', import.meta.url))
const START = '<!-- bench:results:start (written by npm run bench; edits here are lost) -->'
const END = '<!-- bench:results:end -->'

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  loadAverage: string
}

export function describeMachine (): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu
  } catch {} // not Linux: os.cpus() has the model too
  return {
    cpu,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((load) => load.toFixed(2)).join(' '),
  }
}

export interface BenchRun {
  machine: Machine
  startedAt: Date
  finishedAt: Date
  command: string
  settings: BenchSettings
  pinning: string
  /** The markdown blocks, in order: the targets, every target, the ledger, the soak. */
  targets: string
  detail: string
  ledger: string
  soak: string
  exported: string
  svg: string
}

function generated (run: BenchRun): string {
  const { machine, settings } = run
  return [
    START,
    `Measured ${run.startedAt.toISOString()} to ${run.finishedAt.toISOString()} with \`${run.command}\`.`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; load average before the run: ${machine.loadAverage} (1, 5, 15 min).`,
    `- Node ${process.version}, ${process.platform}/${process.arch}; servers and autocannon on 127.0.0.1, ${run.pinning}. Every server is started as \`node ${CLOUD_RUN_512_MIB_HEAP.join(' ')} …\`, the V8 heap Node gives a 512 MiB Cloud Run instance; the service's own flags follow, as \`npm start\` and its image give them (\`node ${CLOUD_RUN_512_MIB_HEAP.join(' ')} ${serviceArgs().join(' ')}\`; a later flag wins); its stdout is a pipe the bench reads and counts.`,
    `- ${settings.coldStarts} cold starts per target without a compile cache and ${settings.coldStarts} with one; ${settings.rounds} rounds of ${settings.warmupSeconds} s warm-up (dropped), then ${settings.durationSeconds} s at each of ${settings.connections.join(' and ')} connections (ledger steps at ${settings.connections[0]} only); targets interleaved, one running at a time, each round starting with the next one. Ratios are taken round by round against bare Fastify's, and the median shown. Idle RSS is read ${settings.idleSettleMs} ms after the first 200; RSS after load, after the round's last load.`,
    `- ${run.exported}`,
    '',
    '### Against the issue\'s targets',
    '',
    run.targets,
    '',
    '![Ratios to bare Fastify](benchmarks.svg)',
    '',
    '### Every target',
    '',
    run.detail,
    '',
    '### Cost ledger',
    '',
    run.ledger,
    '',
    '### Soak',
    '',
    run.soak,
    END,
  ].join('\n')
}

export async function writeBenchmarksDoc (run: BenchRun): Promise<string[]> {
  let doc: string
  try {
    doc = await readFile(DOC, 'utf8')
  } catch {
    doc = `# Benchmarks\n\n${START}\n${END}\n`
  }
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start === -1 || end < start) throw new Error(`${DOC} has lost its markers; put back:\n${START}\n${END}`)
  await mkdir(dirname(DOC), { recursive: true })
  await writeFile(DOC, doc.slice(0, start) + generated(run) + doc.slice(end + END.length))
  await writeFile(SVG, run.svg)
  return [DOC, SVG]
}
