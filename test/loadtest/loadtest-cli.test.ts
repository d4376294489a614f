import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startHttpServer } from '../helpers/http.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const GUARD = fileURLToPath(new URL('../helpers/loopback-guard.ts', import.meta.url))

interface CliRun { code: number | null, stdout: string, stderr: string }

/** Runs `npm run loadtest`'s script as a real child process, as a user would. */
async function loadtest (args: string[], env: Record<string, string> = { PATH: process.env.PATH ?? '' }): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', GUARD, 'scripts/loadtest.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

/** A tiny peer: `/slow` answers after 30 ms, `/fail` with 500, anything else with 200; it records every request's headers. */
async function startPeer () {
  const seen: IncomingHttpHeaders[] = []
  const peer = await startHttpServer((request, response) => {
    seen.push(request.headers)
    if (request.url === '/fail') response.statusCode = 500
    if (request.url === '/slow') setTimeout(() => response.end('slow'), 30)
    else response.end('ok')
  })
  return { ...peer, seen }
}

/** A directory holding only a fake `gcloud` that behaves as the script says. */
async function pathWithGcloud (script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'loadtest-gcloud-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'gcloud'), `#!/bin/sh\n${script}\n`)
  await chmod(join(dir, 'gcloud'), 0o755)
  return dir
}

describe('npm run loadtest', () => {
  it('when run against the service with --json, then it reports what the service answered', async () => {
    const service = await startServerProcess({ LOG_REQUESTS: 'true' })
    const run = await loadtest(['--url', `http://127.0.0.1:${service.port}`, '--path', '/', '--duration', '1', '--connections', '4', '--json'])

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as Record<string, unknown> & { requests: number, status2xx: number, requestsPerSecond: number, latencyMs: Record<string, number> }
    expect(report).toMatchObject({
      url: `http://127.0.0.1:${service.port}/`,
      connections: 4,
      rate: null,
      headers: [],
      firstRequest: { status: 200 },
      warmup: null,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      errorRatio: 0,
      statusCodes: { 200: report.status2xx },
      slo: { passed: true, checks: [] },
    })
    expect(report.status2xx).toBeGreaterThan(0)
    expect(report.requests).toBe(report.status2xx)
    expect(report.requestsPerSecond).toBeGreaterThan(0)
    expect(Object.keys(report.latencyMs)).toStrictEqual(['p50', 'p90', 'p99', 'max'])
    // Every counted request reached the service (it logs one line per
    // request); a few more may have been in flight when the run stopped.
    const served = () => service.logs().filter((line) => line.message === 'GET / 200').length
    await expect.poll(served, { timeout: 2_000 }).toBeGreaterThanOrEqual(report.requests + 1)
  })

  it('when --warmup-seconds is given, then the warm-up numbers are dropped and the output says so', async () => {
    const peer = await startPeer()
    const run = await loadtest(['--url', peer.url, '--duration', '1', '--connections', '2', '--warmup-seconds', '1'])

    expect(run.code).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe(`Load test: GET ${peer.url}/, 2 connections, 1 s, as fast as possible`)
    expect(lines[1]).toMatch(/^First request: 200 in \d+ ms \(may include a cold start; not counted\)$/)
    const warmup = /^Warm-up: ran 1 s first and dropped its numbers \((\d+) requests, 0 non-2xx, 0 errors\); the results below exclude it\.$/.exec(lines[2] ?? '')
    expect(warmup).not.toBeNull()
    const measured = Number(/^ {2}2xx +(\d+)$/m.exec(run.stdout)?.[1])
    expect(measured).toBeGreaterThan(0)
    expect(peer.seen.length).toBeGreaterThanOrEqual(1 + Number(warmup?.[1]) + measured)
    expect(run.stdout).toMatch(/^ {2}Requests\/s +\d+\.\d$/m)
    expect(run.stdout).toMatch(/^ {2}Latency p99 +\d+ ms$/m)
    expect(run.stdout).toContain('SLO: none given (--max-error-ratio, --max-p99-ms)')
  })

  it('when --id-token and --header are given, then every request carries them and the token is never printed', async () => {
    const peer = await startPeer()
    const PATH = await pathWithGcloud('[ "$*" = "auth print-identity-token" ] && echo token-from-gcloud')
    const run = await loadtest(['--url', peer.url, '--duration', '1', '--connections', '2', '--id-token', '--header', 'X-Canary: yes', '--json'], { PATH })

    expect(run.code).toBe(0)
    expect(peer.seen.length).toBeGreaterThan(1)
    expect(peer.seen.every((headers) => headers.authorization === 'Bearer token-from-gcloud' && headers['x-canary'] === 'yes')).toBe(true)
    expect(JSON.parse(run.stdout)).toMatchObject({ headers: ['x-canary', 'authorization'] })
    expect(run.stdout + run.stderr).not.toContain('token-from-gcloud')
  })

  it('when the SLO is met, then it exits 0; when the error ratio or the p99 goes over, then it exits 1', async () => {
    const peer = await startPeer()
    // autocannon ends a run on its next 1 s sample, so the three run side by side.
    const common = ['--duration', '1', '--connections', '2']
    const [met, failing, slow] = await Promise.all([
      loadtest(['--url', peer.url, ...common, '--max-error-ratio', '0', '--max-p99-ms', '1000']),
      loadtest(['--url', `${peer.url}/fail`, ...common, '--max-error-ratio', '0.01']),
      loadtest(['--url', `${peer.url}/slow`, ...common, '--max-p99-ms', '5', '--json']),
    ])

    expect(met.code).toBe(0)
    expect(met.stdout).toMatch(/^SLO: PASS \(error ratio 0 <= 0; p99 \d+ ms <= 1000 ms\)$/m)

    expect(failing.code).toBe(1)
    expect(failing.stdout).toMatch(/^ {2}Non-2xx +\d+ \(500: \d+\)$/m)
    expect(failing.stdout).toMatch(/^SLO: FAIL \(error ratio 1 > 0\.01\)$/m)

    expect(slow.code).toBe(1)
    const report = JSON.parse(slow.stdout) as { latencyMs: { p99: number }, slo: unknown }
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(30)
    expect(report.slo).toStrictEqual({ passed: false, checks: [{ name: 'p99', limit: 5, actual: report.latencyMs.p99, unit: 'ms', passed: false }] })
  })

  it('when the input is bad, then it exits 2 with a message that says what is wrong, before sending load', async () => {
    const closed = await startHttpServer(() => {})
    await new Promise((resolve) => closed.server.close(resolve))
    const emptyPath = await mkdtemp(join(tmpdir(), 'loadtest-no-gcloud-'))
    onTestFinished(() => rm(emptyPath, { recursive: true, force: true }))
    const failingGcloud = await pathWithGcloud('echo "ERROR: (gcloud.auth.print-identity-token) You do not currently have an active account selected." >&2; exit 1')

    const cases: Array<[string[], string, Record<string, string>?]> = [
      [['--url', 'not a url'], 'malformed URL "not a url": expected an absolute http:// or https:// URL'],
      [['--url', 'ftp://example.com/'], 'malformed URL "ftp://example.com/": expected an absolute http:// or https:// URL'],
      [[], '--url is required, e.g. --url https://my-service-abc123-ew.a.run.app'],
      [['--url', closed.url, '--connections', '0'], '--connections must be a positive integer, got "0"'],
      [['--url', closed.url, '--header', 'no-colon'], '--header must look like \'Name: value\', got "no-colon"'],
      [['--url', closed.url, '--max-error-ratio', '5'], '--max-error-ratio is a ratio between 0 and 1, got "5"'],
      [['--url', closed.url, '--bogus'], "Unknown option '--bogus'. Run with --help for the options."],
      [['--url', closed.url], `cannot reach ${closed.url}/: connect ECONNREFUSED 127.0.0.1:${closed.port}`],
      [['--url', closed.url, '--id-token'], '--id-token needs the gcloud CLI, and no `gcloud` was found on PATH. Install the Google Cloud CLI and run `gcloud auth login`, or pass --header "Authorization: Bearer <token>" instead.', { PATH: emptyPath }],
      [['--url', closed.url, '--id-token'], '--id-token: `gcloud auth print-identity-token` failed: ERROR: (gcloud.auth.print-identity-token) You do not currently have an active account selected.', { PATH: failingGcloud }],
    ]
    const runs = await Promise.all(cases.map(async ([args, , env]) => {
      const { code, stdout, stderr } = await loadtest(args, env)
      return { args, code, stderr, sentLoad: stdout.includes('First request') }
    }))
    expect(runs).toStrictEqual(cases.map(([args, message]) => ({ args, code: 2, stderr: `loadtest: ${message}\n`, sentLoad: false })))
  })
})
