// Loaded with `node --import` by `npm run bench:startup` into an unchanged
// `dist/server.js`, so the production code carries no timing code. It notes
// when each start-up phase ends, from hooks the runtime already offers, and
// writes them as JSON to the file named by BENCH_STARTUP_REPORT at exit.
import diagnostics from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

// Milliseconds since the process started (performance's time origin).
const marks: Record<string, number> = {
  bootstrapComplete: performance.nodeTiming.bootstrapComplete,
  userCodeStarted: performance.now(),
}
let plugins = ''
/** Microseconds on the monotonic clock the CPU profile uses, to cut it at the first response. */
let firstResponseMonotonicUs: number | undefined

diagnostics.subscribe('fastify.initialization', (message) => {
  const { fastify } = message as { fastify: FastifyInstance }
  marks.fastifyCreated ??= performance.now()
  fastify.addHook('onReady', async () => {
    marks.pluginsReady ??= performance.now()
    plugins = fastify.printPlugins()
  })
  fastify.addHook('onListen', async () => { marks.listening ??= performance.now() })
})

diagnostics.subscribe('http.server.response.finish', () => {
  if (marks.firstResponse !== undefined) return
  marks.firstResponse = performance.now()
  firstResponseMonotonicUs = Number(process.hrtime.bigint() / 1000n)
})

process.on('exit', () => {
  const report = process.env.BENCH_STARTUP_REPORT
  if (report !== undefined) writeFileSync(report, JSON.stringify({ marks, plugins, firstResponseMonotonicUs }))
})
