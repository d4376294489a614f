// Checks the built image from the outside, as Cloud Run sees it: through
// HTTP on a loopback port, the host's /proc and `docker export`. Nothing here
// runs inside the container, because the production image has no shell.
// Run by test-container/run.sh, which builds the image and starts dockerd.
import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { hostname } from 'node:os'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'

const IMAGE = process.env.CONTAINER_TEST_IMAGE ?? 'hello-cloud-run:container-test'
const DOCKER = process.env.CONTAINER_TEST_DOCKER ?? 'docker'
const run = promisify(execFile)

async function docker (...args: string[]): Promise<string> {
  const { stdout } = await run(DOCKER, args, { maxBuffer: 64 * 1024 * 1024 })
  return stdout.trim()
}

/** What the container wrote to stdout and stderr. */
async function dockerLogs (id: string): Promise<string> {
  const { stdout, stderr } = await run(DOCKER, ['logs', id])
  return stdout + stderr
}

async function freeLoopbackPort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function logLines (id: string): Promise<Array<Record<string, unknown>>> {
  return (await docker('logs', id)).split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Starts the image on the host network, on a free loopback port, and waits for "ready". */
async function startContainer (env: string[] = []): Promise<{ id: string, port: number }> {
  const port = await freeLoopbackPort()
  // HOST=127.0.0.1: on the host network the default 0.0.0.0 would listen on
  // every interface of the test machine.
  const envArgs = [`PORT=${port}`, 'HOST=127.0.0.1', ...env].flatMap((pair) => ['-e', pair])
  const id = await docker('run', '-d', '--network', 'host', ...envArgs, IMAGE)
  onTestFinished(async () => { await docker('rm', '-f', id) })
  const deadline = Date.now() + 15_000
  while (!(await logLines(id)).some((line) => /ready$/.test(String(line.message)))) {
    if (Date.now() > deadline) throw new Error(`not ready within 15 s:\n${await docker('logs', id)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { id, port }
}

/** The file names in the image, as `docker export` writes them (no leading slash). */
async function imageFiles (): Promise<string[]> {
  const id = await docker('create', IMAGE)
  onTestFinished(async () => { await docker('rm', '-f', id) })
  const exporter = spawn(DOCKER, ['export', id], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lister = spawn('tar', ['-t'], { stdio: ['pipe', 'pipe', 'inherit'] })
  exporter.stdout.pipe(lister.stdin)
  let listing = ''
  lister.stdout.setEncoding('utf8').on('data', (chunk: string) => { listing += chunk })
  await once(lister, 'close')
  return listing.split('\n').filter(Boolean).map((name) => name.replace(/^\.?\//, ''))
}

describe(`the image ${IMAGE}`, () => {
  it('when GET / is asked of the running container, then it answers the tutorial greeting', async () => {
    const { port } = await startContainer()
    const response = await fetch(`http://127.0.0.1:${port}/`)
    const body = await response.text()

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    // On the host network the container has the host's name.
    const host = hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    expect(body).toMatch(new RegExp(`^Hello from Cloud Run! Host: ${host}, Time: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n$`))
    const sentAt = Date.parse(body.slice(-20, -1).replace(' ', 'T') + 'Z')
    expect(Math.abs(Date.now() - sentAt)).toBeLessThan(5_000)
  })

  it('when the service runs, then PID 1 is node --max-semi-space-size=8 on dist/server.js, as uid 65532, with NODE_ENV=production', async () => {
    const { id } = await startContainer()
    const hostPid = await docker('inspect', '-f', '{{.State.Pid}}', id)
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8')
    const environ = readFileSync(`/proc/${hostPid}/environ`, 'utf8').split('\0')

    expect(readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toStrictEqual(['/nodejs/bin/node', '--max-semi-space-size=8', 'dist/server.js'])
    expect(status).toMatch(/^NSpid:\s+\d+\s+1$/m) // PID 1 inside its namespace
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m)
    expect(status).toMatch(/^Gid:\s+65532\s+65532\s+65532\s+65532$/m)
    expect(environ).toContain('NODE_ENV=production')
  })

  it('when the container starts, then node takes the bundle\'s compiled code from the cache warmed at build', async () => {
    const { id } = await startContainer(['NODE_DEBUG_NATIVE=COMPILE_CACHE'])
    const logs = await dockerLogs(id)

    expect(logs).toContain('V8 code cache for ESM file:///app/dist/server.js was accepted')
  })

  it('when the image is exported, then the app is dist/ and the compile cache alone: no sources, tests, dev dependencies, npm cache, .git or .env', async () => {
    const files = await imageFiles()
    const appFiles = files.filter((name) => name.startsWith('app/') && !name.endsWith('/'))
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }

    expect(appFiles).toContain('app/dist/server.js')
    expect(appFiles).toContain('app/dist/package.json')
    expect(appFiles.filter((name) => !name.startsWith('app/dist/') && !name.startsWith('app/compile-cache/'))).toStrictEqual([])
    expect(files.filter((name) => /(^|\/)node_modules\/\.bin(\/|$)/.test(name))).toStrictEqual([])
    expect(files.filter((name) => /(^|\/)(\.npm|_cacache|\.git|\.env[^/]*)(\/|$)/.test(name))).toStrictEqual([])
    const devDependencies = Object.keys(pkg.devDependencies)
    expect(files.filter((name) => devDependencies.some((dep) => name.includes(`node_modules/${dep}/`)))).toStrictEqual([])
  })

  it('when docker stop sends SIGTERM, then the service drains and exits 0 within 10 s', async () => {
    const { id } = await startContainer()
    const stopStartedAt = performance.now()
    await docker('stop', '-t', '10', id)
    const stopMs = performance.now() - stopStartedAt
    const messages = (await logLines(id)).map((line) => `${String(line.severity)} ${String(line.message)}`)

    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', id)).toBe('0')
    expect(stopMs).toBeLessThan(10_000)
    expect(messages).toContain('INFO Shutting down: draining in-flight requests')
    expect(messages.at(-1)).toBe('INFO Shutdown complete')
  })
})
