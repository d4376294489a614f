#!/usr/bin/env bash
# ADR 0011's measurement: what V8's garbage collector does while the service
# serves load, with the young generation Node sizes for a 512 MiB instance
# (semi-spaces of 1 MiB, per Node's documentation), with the bench's 2 MiB
# (bench/lib/target-process.ts), and with the service's own
# --max-semi-space-size=8. Each run starts a fresh
# server with --trace-gc, pinned to the last CPU (autocannon gets the others),
# sends 2 s of warm-up and then DURATION s of load at CONNECTIONS, and
# counts the GCs of the measured part: scavenges and full (mark-compact) GCs
# per 10,000 requests, the main thread's GC pauses in µs per request, and the
# bytes allocated per request (from the heap sizes before and after each GC).
# Bare Fastify, the service's default config and its OTLP 10 % config (to a
# local sink, bench/otlp-sink.ts) each get RUNS fresh servers per heap.
# Servers get PATH and the variables named here, nothing else from the caller's
# environment, so a shell with OTEL_* or K_SERVICE set does not change them.
# Usage: npm run build && docs/adr/0011-measure-gc.sh [RUNS] [DURATION] [CONNECTIONS]
#        (default 3 runs of 5 s at 80 connections; needs 2 CPUs, taskset and curl)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PATH="$ROOT/node_modules/.bin:$PATH"
RUNS="${1:-3}"
DURATION="${2:-5}"
CONNECTIONS="${3:-80}"
if [ "$(nproc)" -lt 2 ]; then echo "0011-measure-gc.sh: needs 2 CPUs, one for the server and one for autocannon" >&2; exit 1; fi
LAST_CPU=$(($(nproc) - 1))
NODE_512="--max-semi-space-size=1 --max-old-space-size=256"  # Node's own for a 512 MiB limit
BENCH_512="--max-semi-space-size=2 --max-old-space-size=256" # bench/lib/target-process.ts
WORK="$(mktemp -d)"
SINK_PID=""
SERVER_PID=""
cleanup () {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2> /dev/null || true; fi
  if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2> /dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The sink holds its stdin open and exits when it closes: a fifo we keep open.
mkfifo "$WORK/sink-in"
node bench/otlp-sink.ts < "$WORK/sink-in" > "$WORK/sink-out" &
SINK_PID=$!
exec 3> "$WORK/sink-in"
for _ in $(seq 100); do grep -q port "$WORK/sink-out" && break; sleep 0.1; done
grep -q port "$WORK/sink-out" || { echo "0011-measure-gc.sh: the OTLP sink did not start" >&2; exit 1; }
SINK="http://127.0.0.1:$(sed 's/.*"port":\([0-9]*\).*/\1/' "$WORK/sink-out")"

free_port () {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# measure LABEL ENTRY HEAP_FLAGS [NAME=value ...]
measure () {
  local label=$1 entry=$2 heap=$3
  shift 3
  local port
  port=$(free_port)
  # shellcheck disable=SC2086 # the heap flags are words
  env -i PATH="$PATH" "$@" PORT="$port" HOST=127.0.0.1 taskset -c "$LAST_CPU" node $heap --trace-gc "$entry" > "$WORK/gc" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$port/" > /dev/null && break
    kill -0 "$SERVER_PID" 2> /dev/null || break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/" > /dev/null || { echo "0011-measure-gc.sh: $label did not answer on :$port" >&2; cat "$WORK/gc" >&2; exit 1; }
  taskset -c "0-$((LAST_CPU - 1))" autocannon -c "$CONNECTIONS" -d 2 "http://127.0.0.1:$port/" > /dev/null 2>&1
  local from
  from=$(wc -l < "$WORK/gc")
  taskset -c "0-$((LAST_CPU - 1))" autocannon -j -c "$CONNECTIONS" -d "$DURATION" "http://127.0.0.1:$port/" 2> /dev/null > "$WORK/load"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2> /dev/null || true
  SERVER_PID=""
  # shellcheck disable=SC2016 # JavaScript, not shell
  tail -n "+$((from + 1))" "$WORK/gc" | node -e '
    const requests = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).requests.total
    let text = ""
    process.stdin.on("data", (chunk) => { text += chunk }).on("end", () => {
      let scavenges = 0, fullGcs = 0, pauseMs = 0, allocatedMb = 0, previousAfter
      for (const [, kind, before, after, pause] of text.matchAll(/(Scavenge|Mark-Compact) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, pooled: [\d.]+ MB, ([\d.]+) \//g)) {
        if (kind === "Scavenge") scavenges++; else fullGcs++
        pauseMs += Number(pause)
        if (previousAfter !== undefined) allocatedMb += Number(before) - previousAfter
        previousAfter = Number(after)
      }
      const per10k = (n) => (n * 10_000 / requests).toFixed(1).padStart(6)
      console.log(`${process.argv[2].padEnd(48)} ${String(requests).padStart(7)} requests  scavenges ${per10k(scavenges)}  full GCs ${per10k(fullGcs)}  (per 10k requests)  GC pauses ${(pauseMs * 1000 / requests).toFixed(1).padStart(5)} µs/request  allocated ${(allocatedMb * 1024 / requests).toFixed(1)} KB/request`)
    })' "$WORK/load" "$label"
}

for heap in "$NODE_512" "$BENCH_512" "$BENCH_512 --max-semi-space-size=8"; do
  echo "node $heap, $CONNECTIONS connections"
  for _ in $(seq "$RUNS"); do
    measure '  Fastify (bare)' bench/baseline-fastify.ts "$heap"
    measure '  service' dist/server.js "$heap"
    measure '  service, OTLP 10 %' dist/server.js "$heap" OTEL_EXPORTER_OTLP_ENDPOINT="$SINK" OTEL_TRACES_SAMPLER_ARG=0.1
  done
done
