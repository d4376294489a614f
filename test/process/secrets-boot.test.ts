import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import { describe, expect, it, onTestFinished } from 'vitest'
import { spawnServer, startServerProcess } from '../helpers/spawn-server.ts'
import { startFakeSecretManager } from '../helpers/fake-secret-manager.ts'
import { startFakeUpstream } from '../helpers/fake-upstream.ts'

const PINNED = 'projects/my-project/secrets/api-key/versions/3'
const MODULE_REPORTER = 'test/fixtures/server-reporting-modules.ts'

async function fake () {
  const server = await startFakeSecretManager()
  onTestFinished(() => server.close())
  return server
}

function getStatus (port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (response) => {
      response.resume().on('end', () => resolve(response.statusCode ?? 0))
    }).on('error', reject)
  })
}

describe('the server process with secrets', () => {
  it('when a variable holds an sm:// reference that resolves, then the process fetches it, boots and serves', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'boot-value-1234' })
    const server = await startServerProcess({ SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }, MODULE_REPORTER)
    expect(sm.requests).toStrictEqual([PINNED])
    expect(server.logs().find((line) => line.message === 'Resolved 1 secret')).toStrictEqual({
      severity: 'INFO',
      timestamp: expect.any(String),
      secrets: [{ variable: 'UPSTREAM_API_KEY', source: PINNED }],
      elapsedMs: expect.any(Number),
      message: 'Resolved 1 secret',
    })
    expect(await getStatus(server.port, '/ready')).toBe(200)
    expect(await server.waitForLog((line) => line.message === 'modules loaded')).toMatchObject({ secretManagerLoaded: true })
    expect(server.stdout()).not.toContain('boot-value-1234')
  })

  it('when a secret version holds a trailing newline (echo key | gcloud secrets versions add … --data-file=-), then it is trimmed as a mounted file\'s is, and the upstream gets the key', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'echoed-api-key-1234\n' })
    const upstream = await startFakeUpstream([{ status: 200, body: { ok: true } }])
    const server = await startServerProcess({ SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3', UPSTREAM_URL: upstream.url })
    expect(await getStatus(server.port, '/upstream')).toBe(200)
    expect(upstream.requests.map((request) => request.headers['x-api-key'])).toStrictEqual(['echoed-api-key-1234'])
  })

  it.each([
    ['a line break inside it', 'PLANTED-first\nPLANTED-second'],
    ['two trailing newlines', 'PLANTED-echoed-twice\n\n'],
    ['a control character', 'PLANTED-with-\u0007-bell'],
  ])('when a secret meant for a header holds %s, then the boot stops with one CRITICAL line naming the variable and the fix, and no part of the value', async (_kind, value) => {
    const sm = await fake()
    sm.on(PINNED, { value })
    const server = spawnServer({ PORT: '0', HOST: '127.0.0.1', SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' })
    expect(await server.exited).toBe(1)
    expect(server.logs()).toMatchObject([{
      severity: 'CRITICAL',
      code: 'SVC_CONFIG_INVALID',
      problems: [{ variable: 'UPSTREAM_API_KEY' }],
      message: 'Invalid configuration: UPSTREAM_API_KEY must be a valid HTTP header value: printable characters, no line breaks, no spaces at either end. ' +
        'Store it without a trailing newline: printf %s "$VALUE" | gcloud secrets versions add SECRET --data-file=- (the value is a secret, so it is not shown)',
    }])
    expect(server.stdout()).not.toContain('PLANTED')
  })

  it('when no variable holds a reference, then the Secret Manager client is never loaded', async () => {
    const server = await startServerProcess({}, MODULE_REPORTER)
    expect(await server.waitForLog((line) => line.message === 'modules loaded')).toStrictEqual({
      message: 'modules loaded', secretManagerLoaded: false, gaxLoaded: false,
    })
    expect(server.logs().some((line) => String(line.message).startsWith('Resolved'))).toBe(false)
  })

  it('when a secret cannot be read, then the process exits 1 before listening with one CRITICAL line that says how to fix it', async () => {
    const sm = await fake()
    sm.on(PINNED, { fail: status.PERMISSION_DENIED, message: `Permission 'secretmanager.versions.access' denied for resource '${PINNED}' (or it may not exist).` })
    const server = spawnServer({ PORT: '0', HOST: '127.0.0.1', SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' })
    expect(await server.exited).toBe(1)
    const fix = 'grant roles/secretmanager.secretAccessor on this secret to the service\'s runtime service account: ' +
      'gcloud secrets add-iam-policy-binding api-key --project my-project --member serviceAccount:RUNTIME_SA --role roles/secretmanager.secretAccessor'
    expect(server.logs()).toStrictEqual([{
      severity: 'CRITICAL',
      timestamp: expect.any(String),
      code: 'SVC_SECRET_UNRESOLVED',
      problems: [{
        variable: 'UPSTREAM_API_KEY',
        resource: PINNED,
        grpcStatus: 'PERMISSION_DENIED',
        attempts: 1,
        detail: `Permission 'secretmanager.versions.access' denied for resource '${PINNED}' (or it may not exist).`,
        fix,
      }],
      message: `Secrets could not be resolved, so the service will not start: UPSTREAM_API_KEY (${PINNED}): PERMISSION_DENIED; fix: ${fix}`,
    }])
    expect(server.stderr()).toBe('')
  })

  it('when there are no Google credentials and no emulator, then boot fails with UNAUTHENTICATED and says how to get credentials', async () => {
    const home = await mkdtemp(join(tmpdir(), 'no-adc-'))
    onTestFinished(() => rm(home, { recursive: true, force: true }))
    // No ADC file in HOME, and the metadata server is not even looked for:
    // the client reaches nothing, on or off this machine.
    const server = spawnServer({ HOME: home, METADATA_SERVER_DETECTION: 'none', UPSTREAM_API_KEY: 'sm://my-project/api-key#3' })
    expect(await server.exited).toBe(1)
    expect(server.logs()).toStrictEqual([expect.objectContaining({
      severity: 'CRITICAL',
      code: 'SVC_SECRET_UNRESOLVED',
      problems: [{
        variable: 'UPSTREAM_API_KEY',
        resource: PINNED,
        grpcStatus: 'UNAUTHENTICATED',
        attempts: 1,
        detail: expect.stringMatching(/^Could not load the default credentials/),
        fix: 'give the process credentials: on Cloud Run its runtime service account; locally gcloud auth application-default login, or SECRET_MANAGER_EMULATOR_HOST',
      }],
    })])
  })

  it('when a reference is malformed, then the process exits 1 with one CRITICAL config error', async () => {
    const server = spawnServer({ UPSTREAM_API_KEY: 'sm://my-project' })
    expect(await server.exited).toBe(1)
    expect(server.logs()).toStrictEqual([{
      severity: 'CRITICAL',
      timestamp: expect.any(String),
      code: 'SVC_CONFIG_INVALID',
      problems: [{ variable: 'UPSTREAM_API_KEY', reason: 'expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION, got "sm://my-project"' }],
      message: 'Invalid configuration: UPSTREAM_API_KEY expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION, got "sm://my-project"',
    }])
  })
})
