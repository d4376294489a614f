import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Target } from './target-process.ts'

// The servers `npm run bench` measures, and how the cost ledger reads them.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * `node`'s arguments for the service built in `root` (this checkout by
 * default), as its `npm start`
 * runs it: package.json's start script is `exec node [flags] dist/server.js`,
 * and the Dockerfile's ENTRYPOINT and CMD give the same command
 * (test/unit/project-files.test.ts). Builds from before a flag was added run
 * without it, and older ones had no `exec` (npm run bench:compare).
 */
export function serviceArgs (root = ROOT, entry = 'dist/server.js'): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const flags = /^(?:exec )?node ((?:--\S+ )*)dist\/server\.js$/.exec(scripts.start)?.[1]
  if (flags === undefined) throw new Error(`${root}/package.json: the start script is not "exec node [--flags] dist/server.js": ${scripts.start}`)
  return [...flags.split(' ').filter(Boolean), entry]
}

/** ADR 0011's flag, which the ledger's step without it leaves out. */
const YOUNG_GENERATION_FLAG = /^--max-semi-space-size=/

const NODE_HTTP = 'node:http'
export const BASELINE = 'Fastify (bare)'
export const SERVICE = 'service'
export const OTLP_TENTH = 'service, OTLP 10 %'
export const OTLP_ALL = 'service, OTLP every request'
/** The default before ADR 0010: a request line per request. */
export const OLD_DEFAULT = 'service, LOG_REQUESTS=true'
const HEADERS = 'Fastify + security headers'
const SWITCHES_OFF = 'service, switches off'
const SHEDDING = 'service, + shedding'
/** The default config without the service's own V8 flag (ADR 0011): the young generation Node sizes for 512 MiB. */
const SMALL_YOUNG_GENERATION = 'service, without --max-semi-space-size=8'

export interface BenchTarget extends Target {
  /** In the headline table, the chart and the 200-connection runs; otherwise a ledger step, measured at the first connection count only. */
  headline: boolean
  coldStart: boolean
  /** Also started with a warm NODE_COMPILE_CACHE, as the image is. */
  compileCache: boolean
}

/** Every switch the ledger's service steps turn off, one by one. */
const OFF = { OTEL_SDK_DISABLED: 'true', LOG_REQUESTS: 'false', SHED_EVENT_LOOP_DELAY_MS: '0' }

export function benchTargets (sinkUrl: string): BenchTarget[] {
  const args = serviceArgs()
  const service = (name: string, env: Record<string, string>, more: Partial<BenchTarget> = {}): BenchTarget =>
    ({ name, args, env, headline: false, coldStart: false, compileCache: false, ...more })
  return [
    { name: NODE_HTTP, args: ['dist-bench/bench/baseline-node-http.js'], env: {}, headline: true, coldStart: true, compileCache: false },
    { name: BASELINE, args: ['dist-bench/bench/baseline-fastify.js'], env: {}, headline: true, coldStart: true, compileCache: true },
    // The default config: tracing on with no exporter, shedding, security headers, no request line.
    service(SERVICE, {}, { headline: true, coldStart: true, compileCache: true }),
    service(OLD_DEFAULT, { LOG_REQUESTS: 'true' }, { headline: true }),
    // Spans exported over OTLP/HTTP to the local sink, 10 % of traces, then every one.
    service(OTLP_TENTH, { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER_ARG: '0.1' }, { headline: true, coldStart: true }),
    service(OTLP_ALL, { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl }, { headline: true }),
    { name: HEADERS, args: ['dist-bench/bench/baseline-fastify-headers.js'], env: {}, headline: false, coldStart: false, compileCache: false },
    service(SWITCHES_OFF, OFF),
    service(SHEDDING, { OTEL_SDK_DISABLED: 'true', LOG_REQUESTS: 'false' }),
    service(SMALL_YOUNG_GENERATION, {}, { args: args.filter((arg) => !YOUNG_GENERATION_FLAG.test(arg)) }),
  ]
}

export interface LedgerStep {
  feature: string
  /** The target with the feature. */
  with: string
  /** The target without it; the first step has none. */
  without?: string
  /** How the two differ, for the reader. */
  how: string
}

/** Each step adds one feature to the one before; `without` names what it is compared to. */
export const LEDGER: LedgerStep[] = [
  { feature: 'bare Fastify', with: BASELINE, how: '`bench/baseline-fastify.ts`: one route, no logger' },
  { feature: 'security headers', with: HEADERS, without: BASELINE, how: 'bare Fastify plus the service\'s own helmet plugin (`bench/baseline-fastify-headers.ts`)' },
  {
    feature: 'the rest of the service',
    with: SWITCHES_OFF,
    without: HEADERS,
    how: '`dist/server.js` with `OTEL_SDK_DISABLED=true LOG_REQUESTS=false SHED_EVENT_LOOP_DELAY_MS=0`: its HTTP server (timeouts, Host check, pipelining bound), trust proxy, the routes\' response schema and the error and readiness plugins, which add no hook to a request that succeeds',
  },
  { feature: 'load shedding', with: SHEDDING, without: SWITCHES_OFF, how: 'the same with shedding back on (`SHED_EVENT_LOOP_DELAY_MS` default)' },
  { feature: 'tracing, no exporter', with: SERVICE, without: SHEDDING, how: 'the same with tracing on (`OTEL_SDK_DISABLED` default): the default config, a server span per request, unrecorded' },
  {
    feature: 'without `--max-semi-space-size=8`',
    with: SMALL_YOUNG_GENERATION,
    without: SERVICE,
    how: 'the default config started without the `--max-semi-space-size=8` that `npm start` and the image give it (ADR 0011): the semi-spaces of 2 MiB that every target gets (Node\'s own for 512 MiB are 1 MiB)',
  },
  { feature: 'request log line', with: OLD_DEFAULT, without: SERVICE, how: 'the default config with `LOG_REQUESTS=true`, the default before ADR 0010' },
  { feature: 'exporting 10 % of traces', with: OTLP_TENTH, without: SERVICE, how: 'the default config with `OTEL_EXPORTER_OTLP_ENDPOINT` set and `OTEL_TRACES_SAMPLER_ARG=0.1`' },
  { feature: 'exporting every trace', with: OTLP_ALL, without: SERVICE, how: 'the default config with `OTEL_EXPORTER_OTLP_ENDPOINT` set' },
]
