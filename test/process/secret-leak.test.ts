import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import { describe, expect, it, onTestFinished } from 'vitest'
import { rawRequest } from '../helpers/http.ts'
import { spawnServer, startServerProcess, type ServerProcess } from '../helpers/spawn-server.ts'
import { startFakeSecretManager } from '../helpers/fake-secret-manager.ts'

// The leak test: one unique value is planted as a secret in every way the
// service accepts one, every endpoint and every failure path is driven, and
// then everything the processes wrote (stdout and stderr) and every response
// body is searched for it.

const SLOW_SERVER = 'test/fixtures/server-with-slow-route.ts'
const PINNED = 'projects/my-project/secrets/api-key/versions/3'

interface Response { status: number, body: string }

function request (port: number, method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      let text = ''
      response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Every endpoint, error and hostile request, each carrying the secret where a client could put it. */
async function driveEveryEndpoint (port: number, secret: string): Promise<Response[]> {
  const carrying = {
    authorization: `Bearer ${secret}`,
    'x-api-key': secret,
    cookie: `session=${secret}`,
    'proxy-authorization': `Basic ${secret}`,
    'user-agent': `agent/${secret}`,
    'x-forwarded-for': '203.0.113.9',
    'x-custom-header': secret,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  }
  return [
    await request(port, 'GET', '/', carrying),
    await request(port, 'GET', '/', { ...carrying, accept: 'application/json' }),
    await request(port, 'HEAD', '/', carrying),
    await request(port, 'GET', '/health', carrying),
    await request(port, 'GET', '/ready', carrying),
    await request(port, 'GET', `/?key=${secret}`, carrying),
    await request(port, 'POST', '/health', carrying),
    await request(port, 'POST', '/', { ...carrying, 'content-type': 'application/json' }, `{"key":"${secret}"`),
    await request(port, 'POST', '/', { ...carrying, 'content-type': 'text/x-unknown' }, secret),
    await request(port, 'GET', '/slow?ms=10', carrying),
  ]
}

interface Planted {
  secret: string
  secretFile: string
  emulator: { SECRET_MANAGER_EMULATOR_HOST: string }
}

/** A unique secret, in a file and behind sm:// references on a fake Secret Manager. */
async function plant (): Promise<Planted> {
  const secret = `leak-canary-${randomUUID()}`
  const dir = await mkdtemp(join(tmpdir(), 'leak-test-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const secretFile = join(dir, 'api-key')
  await writeFile(secretFile, `${secret}\n`)
  const sm = await startFakeSecretManager()
  onTestFinished(() => sm.close())
  sm.on(PINNED, { value: secret })
  sm.on('projects/my-project/secrets/corrupt/versions/1', { value: secret, crc32c: 'wrong' })
  sm.on('projects/my-project/secrets/denied/versions/1', { fail: status.PERMISSION_DENIED })
  return { secret, secretFile, emulator: { SECRET_MANAGER_EMULATOR_HOST: sm.host } }
}

/** Lines of everything the processes wrote, on stdout or stderr, that contain the secret. */
function linesContaining (processes: ServerProcess[], secret: string): string[] {
  return processes.flatMap((server) => (server.stdout() + server.stderr()).split('\n')).filter((line) => line.includes(secret))
}

describe('secret values never leak', () => {
  it.each([
    ['Secret Manager', ({ emulator }: Planted) => ({ ...emulator, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' })],
    ['a mounted file', ({ secretFile }: Planted) => ({ UPSTREAM_API_KEY_FILE: secretFile })],
    ['a plain variable', ({ secret }: Planted) => ({ UPSTREAM_API_KEY: secret })],
  ])('when the secret comes from %s and every endpoint is driven with it in headers, URL and body, then no log line and no response body contains it', async (_source, envFor) => {
    const planted = await plant()
    const { secret } = planted
    const server = await startServerProcess({ LOG_REQUESTS: 'true', ...envFor(planted) }, SLOW_SERVER)
    const responses = await driveEveryEndpoint(server.port, secret)
    // Headers too large: rejected by Node's parser before Fastify sees them.
    const tooLarge = await rawRequest(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${secret}${'a'.repeat(20_000)}\r\n\r\n`)
    responses.push({ status: Number(tooLarge.split(' ')[1]), body: tooLarge })
    expect(responses.map((response) => response.status)).toStrictEqual([200, 200, 200, 200, 200, 200, 405, 400, 405, 200, 431])
    // The 404 message repeats the client's own path back to it, which is no
    // leak of ours; only its log line is checked.
    expect((await request(server.port, 'GET', `/${secret}`, { authorization: secret })).status).toBe(404)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    // The test saw what it meant to see: requests were logged, and redaction was at work.
    // 11 requests reached Fastify; /health and /ready are probes, not logged.
    expect(server.logs().filter((line) => line.httpRequest !== undefined)).toHaveLength(9)
    expect(server.stdout()).toContain('[REDACTED]')
    expect(linesContaining([server], secret)).toStrictEqual([])
    expect(responses.filter((response) => response.body.includes(secret))).toStrictEqual([])
  })

  it('when a request hits a bug while the secret is loaded, then the ERROR line and the 500 do not contain it', async () => {
    const { secret, emulator } = await plant()
    const server = await startServerProcess({ ...emulator, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }, SLOW_SERVER)
    const response = await request(server.port, 'GET', '/bug', { authorization: secret, 'user-agent': secret })
    expect(response).toStrictEqual({ status: 500, body: '{"code":"SVC_INTERNAL","message":"Internal server error"}' })
    await server.waitForLog((line) => line.severity === 'ERROR' && line.stack_trace !== undefined)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(linesContaining([server], secret)).toStrictEqual([])
  })

  it('when boot fails with the secret in play, then the one CRITICAL line does not contain it', async () => {
    const planted = await plant()
    const { secret, secretFile, emulator } = planted
    const failedBoots: Array<Record<string, string>> = [
      // Both NAME and NAME_FILE: a config error.
      { UPSTREAM_API_KEY: secret, UPSTREAM_API_KEY_FILE: secretFile },
      // The secret lands in variables whose parsers quote a bad value.
      { ...emulator, LOG_LEVEL: 'sm://my-project/api-key#3' },
      { PORT_FILE: secretFile },
      { GOOGLE_CLOUD_PROJECT_FILE: secretFile },
      // A checksum mismatch on a payload that carries the secret.
      { ...emulator, UPSTREAM_API_KEY: 'sm://my-project/corrupt#1' },
      // One secret resolves, another is denied.
      { ...emulator, UPSTREAM_API_KEY: 'sm://my-project/api-key#3', OTHER: 'sm://my-project/denied#1' },
      // The secret resolves, then another variable is invalid.
      { ...emulator, UPSTREAM_API_KEY: 'sm://my-project/api-key#3', PORT: 'abc' },
      { UPSTREAM_API_KEY_FILE: secretFile, PORT: 'abc' },
    ]
    const processes = failedBoots.map((env) => spawnServer({ PORT: '0', HOST: '127.0.0.1', ...env }))
    expect(await Promise.all(processes.map((server) => server.exited))).toStrictEqual(failedBoots.map(() => 1))
    expect(processes.map((server) => server.logs().map((line) => line.severity))).toStrictEqual(failedBoots.map(() => ['CRITICAL']))
    expect(linesContaining(processes, secret)).toStrictEqual([])
  }, 60_000) // eight server processes booting on two cores
})
