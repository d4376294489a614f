// Run by the Dockerfile's `compile-cache` stage, on the runtime image's own
// node: boots dist/server.js once with NODE_COMPILE_CACHE set, asks it the
// requests an instance answers first, and stops it with SIGTERM, as Cloud Run
// would. V8 writes its code cache for everything compiled so far when the
// process exits, and the image ships that folder, so a cold start skips most
// of the parsing and compiling. The cache is only valid for the exact node
// binary that wrote it, hence this stage. docs/container.md has the numbers.
//
// Usage: node scripts/warm-compile-cache.ts <cache folder>
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const cacheDir = process.argv[2]
if (cacheDir === undefined) throw new Error('usage: warm-compile-cache.ts <cache folder>')

const server = spawn(process.execPath, ['dist/server.js'], {
  env: { NODE_ENV: 'production', NODE_COMPILE_CACHE: cacheDir, PORT: '0', HOST: '127.0.0.1', LOG_REQUESTS: 'false' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const exited = once(server, 'exit')

let output = ''
const port = await new Promise<number>((resolve, reject) => {
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
    const ready = /"port":(\d+),.*ready"/.exec(output)
    if (ready?.[1] !== undefined) resolve(Number(ready[1]))
  })
  server.once('exit', () => reject(new Error(`the server exited before it was ready:\n${output}`)))
})

for (const path of ['/ready', '/health', '/']) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`)
  await response.arrayBuffer()
}
server.kill('SIGTERM')
const [code] = await exited
if (code !== 0) throw new Error(`the server exited with ${String(code)}:\n${output}`)
// Node writes the entries readable by their owner only; the image copies them
// as root, read-only to the service's user, which must still read them.
for (const entry of readdirSync(cacheDir, { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) chmodSync(join(entry.parentPath, entry.name), 0o644)
}
process.stdout.write(`compile cache written to ${cacheDir}\n`)
