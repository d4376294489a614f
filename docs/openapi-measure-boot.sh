#!/usr/bin/env bash
# docs/openapi.md's measurement: what the TypeBox route schemas cost a cold
# start. It bundles BASE_REF (a commit from before them, whose routes had
# plain JSON schemas) and the working tree, both with scripts/build.ts as the
# image does, and prints what each bundle holds (esbuild's metafile); then
# `npm run bench:compare` starts each ROUNDS times, interleaved with bare
# Fastify, and times spawn to the first 200 on GET /. @fastify/swagger is in
# neither bundle (test/openapi/production-bundle.test.ts), so it costs
# neither anything. Last, it times the app's build with the routes' errors
# where they are, and where Fastify would compile them.
# Usage: docs/openapi-measure-boot.sh BASE_REF [ROUNDS]   (default 20; run it on an idle machine)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"
BASE_REF="${1:?usage: docs/openapi-measure-boot.sh BASE_REF [ROUNDS]}"
ROUNDS="${2:-20}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Copies of the base commit's tree and of the working tree (its tracked and
# new files), each with a link to this tree's node_modules (the base needs a
# subset of them), so that both bundles are built alike.
mkdir "$WORK/base-tree" "$WORK/head-tree"
git -C "$ROOT" archive "$BASE_REF" | tar -x -C "$WORK/base-tree"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar -c --null -T - 2>/dev/null) | tar -x -C "$WORK/head-tree"
for tree in base head; do
  ln -s "$ROOT/node_modules" "$WORK/$tree-tree/node_modules"
  (cd "$WORK/$tree-tree" && "$NODE" scripts/build.ts "$WORK/$tree" --metafile "$WORK/$tree.meta.json" >/dev/null)
done

echo '{ "type": "module" }' > "$WORK/package.json"
cat > "$WORK/bundle-facts.ts" <<'EOF'
import { readFileSync } from 'node:fs'

const [work = '', baseRef = ''] = process.argv.slice(2)
interface Output { bytes: number, inputs: Record<string, { bytesInOutput: number }> }
for (const [name, dir] of [[`${baseRef} (JSON schemas)`, 'base'], ['working tree (TypeBox)', 'head']]) {
  const { outputs, inputs } = JSON.parse(readFileSync(`${work}/${dir}.meta.json`, 'utf8')) as { outputs: Record<string, Output>, inputs: Record<string, unknown> }
  const js = Object.entries(outputs).filter(([path]) => path.endsWith('.js'))
  const bytesOf = (pattern: RegExp) => js.filter(([path]) => pattern.test(path)).reduce((sum, [, output]) => sum + output.bytes, 0)
  const typeboxBytes = js.flatMap(([, output]) => Object.entries(output.inputs))
    .filter(([path]) => path.includes('node_modules/typebox/')).reduce((sum, [, input]) => sum + input.bytesInOutput, 0)
  // Every boot loads app-*.js, the chunk with the app and its routes, which is where TypeBox is.
  process.stdout.write(`${name}: server.js ${bytesOf(/\/server\.js$/)} bytes, app chunk ${bytesOf(/\/app-[\w]+\.js$/)} bytes (TypeBox ${typeboxBytes} of them); ` +
    `${js.length} .js files, ${bytesOf(/./)} bytes in all; ${Object.keys(inputs).length} modules read by esbuild\n`)
}
EOF
"$NODE" "$WORK/bundle-facts.ts" "$WORK" "$BASE_REF"

# Cold starts: the harness every build comparison uses (bench/compare.ts),
# with one short load round, since only its cold-start column is read here.
(cd "$ROOT" && npm run --silent bench:compare -- --rounds 1 --duration 1 --cold-starts "$ROUNDS" "$BASE_REF" .)

# Why routes declare their errors in `errorResponses`, which Fastify ignores,
# and not under `response`: buildApp + ready() of the working tree, in fresh
# processes, interleaved, as it is and with an onRoute hook that moves each
# route's errors under `response`, so that Fastify compiles a serialiser for
# each of them.
ln -s "$ROOT/node_modules" "$WORK/node_modules"
cat > "$WORK/ready.ts" <<TS
import fp from 'fastify-plugin'
import pino from 'pino'
import { buildApp } from '$ROOT/src/app.ts'
import { loadConfig } from '$ROOT/src/config/load-config.ts'
import { ErrorResponse, errorResponses } from '$ROOT/src/schemas/error-response.ts'
TS
cat >> "$WORK/ready.ts" <<'TS'
const underResponse = fp(async (app) => {
  app.addSchema(ErrorResponse)
  app.addHook('onRoute', (route) => {
    if (route.schema?.errorResponses === undefined) return
    route.schema = { ...route.schema, response: { ...(route.schema.response as object), ...errorResponses(route.schema.errorResponses) } }
  })
})
const startedAt = performance.now()
const app = await buildApp(loadConfig({}), { logger: pino({ level: 'silent' }), beforeRoutes: process.argv[2] === 'under-response' ? [underResponse] : [] })
await app.ready()
process.stdout.write(`${performance.now() - startedAt}\n`)
await app.close()
TS
declared=() underResponse=()
for _ in $(seq "$ROUNDS"); do
  declared+=("$("$NODE" "$WORK/ready.ts" declared)")
  underResponse+=("$("$NODE" "$WORK/ready.ts" under-response)")
done
median () { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "buildApp + ready(), $ROUNDS interleaved runs each, median:"
echo "errors in errorResponses (as the routes are): $(median "${declared[@]}") ms"
echo "errors under response (compiled by Fastify): $(median "${underResponse[@]}") ms"
