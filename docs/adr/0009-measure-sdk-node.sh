#!/usr/bin/env bash
# ADR 0009's measurement: what @opentelemetry/sdk-node costs a cold start of
# the bundled service, against the parts src/telemetry/tracing-sdk.ts
# assembles by hand. Three entries, each bundled as scripts/build.ts bundles
# src/server.ts (esbuild, one ESM file, the same CommonJS shim): Node alone,
# the parts, and NodeSDK given the same parts. Each is started ROUNDS times,
# interleaved, on the project's Node 24, and timed from spawn to its first
# line on stdout, with the CPU the process had used by then.
# Usage: docs/adr/0009-measure-sdk-node.sh [ROUNDS]   (default 20; needs the npm registry)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"
ROUNDS="${1:-20}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo '{ "private": true, "type": "module" }' > package.json
# The versions the service uses (0.223 / 2.12), and the sdk-node of that release.
npm install --silent --no-audit --no-fund \
  @opentelemetry/sdk-node@0.223.0 @opentelemetry/exporter-trace-otlp-proto@0.223.0 \
  @opentelemetry/instrumentation@0.223.0 @opentelemetry/instrumentation-undici@0.33.0 \
  @opentelemetry/sdk-trace@2.12.0 @opentelemetry/core@2.12.0 @opentelemetry/resources@2.12.0 \
  @opentelemetry/context-async-hooks@2.12.0 @opentelemetry/api@1.9.1 esbuild@0.28.2

mkdir entries dist
echo '{ "type": "module" }' > dist/package.json
# Each entry writes one line, with the CPU used so far, once its SDK has started.
# shellcheck disable=SC2016 # JavaScript, not shell
report='const cpu = process.cpuUsage()
process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`, () => process.exit(0))'
parts="import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
const exporter = new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces', timeoutMillis: 5000 })
const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': 'measure' }))
const sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) })
const spanProcessors = [new BatchSpanProcessor({ exporter })]
const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator()] })"
echo "$report" > entries/node-alone.ts
cat > entries/hand-assembled.ts <<EOF
$parts
import { context, propagation, trace } from '@opentelemetry/api'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { TracerProvider } from '@opentelemetry/sdk-trace'
const tracerProvider = new TracerProvider({ resource, sampler, spanProcessors })
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(propagator)
trace.setGlobalTracerProvider(tracerProvider)
registerInstrumentations({ tracerProvider, instrumentations: [new UndiciInstrumentation()] })
$report
EOF
cat > entries/sdk-node.ts <<EOF
$parts
import { NodeSDK } from '@opentelemetry/sdk-node'
new NodeSDK({
  autoDetectResources: false, resource, sampler, spanProcessors, textMapPropagator: propagator,
  contextManager: new AsyncLocalStorageContextManager(), instrumentations: [new UndiciInstrumentation()],
  metricReaders: [], logRecordProcessors: [],
}).start()
$report
EOF

cat > measure.mjs <<'EOF'
import { spawn } from 'node:child_process'
import { build } from 'esbuild'
const names = ['node-alone', 'hand-assembled', 'sdk-node']
const banner = [
  "import { createRequire as __bundleCreateRequire } from 'node:module'",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url'",
  'const require = __bundleCreateRequire(import.meta.url)',
  'const __filename = __bundleFileURLToPath(import.meta.url)',
  "const __dirname = __bundleFileURLToPath(new URL('.', import.meta.url))",
].join('\n')
for (const name of names) {
  const { metafile } = await build({
    entryPoints: [`entries/${name}.ts`], outfile: `dist/${name}.js`, bundle: true, platform: 'node', format: 'esm',
    target: 'node24', banner: { js: banner }, keepNames: false, legalComments: 'linked', logLevel: 'warning', metafile: true,
  })
  const bytes = Object.values(metafile.outputs).find((output) => output.entryPoint !== undefined)?.bytes ?? 0
  console.log(`${name.padEnd(14)} bundle ${(bytes / 1e6).toFixed(2)} MB from ${Object.keys(metafile.inputs).length} files`)
}
const wallMs = Object.fromEntries(names.map((name) => [name, []]))
const cpuMs = Object.fromEntries(names.map((name) => [name, []]))
function start (name, record) {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    // OTEL_*_EXPORTER=none: NodeSDK must start no metrics or logs pipeline of its own.
    const child = spawn(process.execPath, [`dist/${name}.js`], {
      env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }, stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.once('data', (chunk) => {
      if (!record) return
      wallMs[name].push(performance.now() - startedAt)
      cpuMs[name].push(JSON.parse(String(chunk)).cpuMs)
    })
    child.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`)))
  })
}
for (const name of names) await start(name, false) // fills the page cache; not counted
const rounds = Number(process.argv[2])
for (let round = 0; round < rounds; round++) for (const name of names) await start(name, true)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const spread = (values) => `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`
console.log(`Node ${process.version}, ${rounds} rounds, interleaved; medians (min–max) in ms`)
for (const name of names) {
  console.log(`${name.padEnd(14)} spawn to first line ${Math.round(median(wallMs[name]))} (${spread(wallMs[name])}), CPU ${Math.round(median(cpuMs[name]))} (${spread(cpuMs[name])})`)
}
EOF
"$NODE" measure.mjs "$ROUNDS"
