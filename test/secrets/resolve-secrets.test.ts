import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import { describe, expect, it, onTestFinished } from 'vitest'
import { resolveSecrets } from '../../src/secrets/resolve-secrets.ts'
import { ServiceError } from '../../src/errors/service-error.ts'
import { startFakeSecretManager, type FakeSecretManager } from '../helpers/fake-secret-manager.ts'

// Short deadlines so that the failure cases take well under a second each.
const policy = { attemptTimeoutMs: 300, maxAttempts: 3, backoff: { baseMs: 10, capMs: 20 } }
const PINNED = 'projects/my-project/secrets/api-key/versions/3'
const LATEST = 'projects/my-project/secrets/api-key/versions/latest'

async function fake (): Promise<FakeSecretManager> {
  const server = await startFakeSecretManager()
  onTestFinished(() => server.close())
  return server
}

async function failure (promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason)
  if (!(error instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(error)}`)
  return error
}

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'secrets-test-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

describe('resolveSecrets from Secret Manager', () => {
  it('when a variable holds a pinned reference, then the exact version is requested and its value replaces the reference', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'pinned-value-1' })
    const env = { SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3', PORT: '8081' }
    const resolved = await resolveSecrets(env, { policy })
    expect(sm.requests).toStrictEqual([PINNED])
    expect(resolved.env).toStrictEqual({ ...env, UPSTREAM_API_KEY: 'pinned-value-1' })
    expect(resolved.variables).toStrictEqual(['UPSTREAM_API_KEY'])
    expect(resolved.notices).toStrictEqual([{
      level: 'info',
      fields: { secrets: [{ variable: 'UPSTREAM_API_KEY', source: PINNED }], elapsedMs: expect.any(Number) },
      message: 'Resolved 1 secret',
    }])
  })

  it('when a reference names no version, then latest is requested and a warning advises pinning one', async () => {
    const sm = await fake()
    sm.on(LATEST, { value: 'latest-value-1' })
    const resolved = await resolveSecrets({ SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key' }, { policy })
    expect(sm.requests).toStrictEqual([LATEST])
    expect(resolved.env.UPSTREAM_API_KEY).toBe('latest-value-1')
    expect(resolved.notices[0]).toStrictEqual({
      level: 'warn',
      fields: { variable: 'UPSTREAM_API_KEY', resource: LATEST },
      message: 'UPSTREAM_API_KEY uses the latest version of secret api-key; pin one (sm://my-project/api-key#VERSION): ' +
        'Cloud Run instances resolve secrets once, at start, so instances of one revision can run with different versions after a rotation',
    })
  })

  it('when several variables hold references, then they are fetched in parallel', async () => {
    const sm = await fake()
    const names = ['A', 'B', 'C', 'D', 'E']
    for (const name of names) sm.on(`projects/my-project/secrets/${name}/versions/1`, { value: `value-of-${name}` })
    // The fake answers none of them until all five have arrived: sequential fetches would time out.
    sm.holdUntil(names.length)
    const env = Object.fromEntries(names.map((name) => [`SECRET_${name}`, `sm://my-project/${name}#1`]))
    const resolved = await resolveSecrets({ ...env, SECRET_MANAGER_EMULATOR_HOST: sm.host }, { policy })
    expect([...sm.requests].sort()).toStrictEqual(names.map((name) => `projects/my-project/secrets/${name}/versions/1`))
    expect(names.map((name) => resolved.env[`SECRET_${name}`])).toStrictEqual(names.map((name) => `value-of-${name}`))
  })

  it('when two variables reference the same version, then it is fetched once', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'shared-value-1' })
    const resolved = await resolveSecrets({ SECRET_MANAGER_EMULATOR_HOST: sm.host, A: 'sm://my-project/api-key#3', B: 'sm://my-project/api-key#3' }, { policy })
    expect(sm.requests).toStrictEqual([PINNED])
    expect([resolved.env.A, resolved.env.B]).toStrictEqual(['shared-value-1', 'shared-value-1'])
  })

  it('when Secret Manager is UNAVAILABLE once, then the access is retried and succeeds', async () => {
    const sm = await fake()
    sm.on(PINNED, { fail: status.UNAVAILABLE }, { value: 'after-retry-1' })
    const resolved = await resolveSecrets({ SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }, { policy })
    expect(sm.requests).toStrictEqual([PINNED, PINNED])
    expect(resolved.env.UPSTREAM_API_KEY).toBe('after-retry-1')
  })

  it('when the server sends no checksum, then the value is accepted', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'no-checksum-1', crc32c: 'absent' })
    const resolved = await resolveSecrets({ SECRET_MANAGER_EMULATOR_HOST: sm.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }, { policy })
    expect(resolved.env.UPSTREAM_API_KEY).toBe('no-checksum-1')
  })

  it('when no variable holds a reference, then nothing is resolved and the environment is returned as it was', async () => {
    const env = { PORT: '8080', SECRET_MANAGER_EMULATOR_HOST: '127.0.0.1:1' }
    expect(await resolveSecrets(env, { policy })).toStrictEqual({ env, values: [], variables: [], notices: [] })
  })
})

describe('resolveSecrets failures', () => {
  const reference = { UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }

  it('when the version does not exist, then the error names the variable, the resource, NOT_FOUND and the fix', async () => {
    const sm = await fake()
    const error = await failure(resolveSecrets({ ...reference, SECRET_MANAGER_EMULATOR_HOST: sm.host }, { policy }))
    expect(error.code).toBe('SVC_SECRET_UNRESOLVED')
    expect(error.details).toStrictEqual({
      problems: [{
        variable: 'UPSTREAM_API_KEY',
        resource: PINNED,
        grpcStatus: 'NOT_FOUND',
        attempts: 1,
        detail: `Secret [${PINNED}] not found or has no versions.`,
        fix: 'create the secret or fix the version: gcloud secrets versions list api-key --project my-project',
      }],
    })
    expect(error.message).toBe('Secrets could not be resolved, so the service will not start: ' +
      `UPSTREAM_API_KEY (${PINNED}): NOT_FOUND; fix: create the secret or fix the version: gcloud secrets versions list api-key --project my-project`)
  })

  it('when access is denied, then the fix is to grant secretAccessor to the runtime service account, without a retry', async () => {
    const sm = await fake()
    sm.on(PINNED, { fail: status.PERMISSION_DENIED, message: `Permission 'secretmanager.versions.access' denied for resource '${PINNED}' (or it may not exist).` })
    const error = await failure(resolveSecrets({ ...reference, SECRET_MANAGER_EMULATOR_HOST: sm.host }, { policy }))
    expect(sm.requests).toStrictEqual([PINNED])
    expect(error.details?.problems).toStrictEqual([{
      variable: 'UPSTREAM_API_KEY',
      resource: PINNED,
      grpcStatus: 'PERMISSION_DENIED',
      attempts: 1,
      detail: `Permission 'secretmanager.versions.access' denied for resource '${PINNED}' (or it may not exist).`,
      fix: 'grant roles/secretmanager.secretAccessor on this secret to the service\'s runtime service account: ' +
        'gcloud secrets add-iam-policy-binding api-key --project my-project --member serviceAccount:RUNTIME_SA --role roles/secretmanager.secretAccessor',
    }])
  })

  it('when the server never answers, then each attempt ends at its deadline and boot fails with DEADLINE_EXCEEDED after all attempts', async () => {
    const sm = await fake()
    sm.on(PINNED, { hang: true })
    const startedAt = performance.now()
    const error = await failure(resolveSecrets({ ...reference, SECRET_MANAGER_EMULATOR_HOST: sm.host }, { policy }))
    const elapsedMs = performance.now() - startedAt
    expect(sm.requests).toStrictEqual([PINNED, PINNED, PINNED])
    expect(error.details?.problems).toMatchObject([{ variable: 'UPSTREAM_API_KEY', resource: PINNED, grpcStatus: 'DEADLINE_EXCEEDED', attempts: 3 }])
    expect((error.details?.problems as Array<{ fix: string }>)[0]?.fix).toMatch(/^Secret Manager could not be reached/)
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * policy.attemptTimeoutMs)
  })

  it('when nothing listens at the endpoint, then boot fails with UNAVAILABLE after all attempts', async () => {
    const closed = net.createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => closed.once('listening', resolve))
    const { port } = closed.address() as net.AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const error = await failure(resolveSecrets({ ...reference, SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${port}` }, { policy }))
    expect(error.details?.problems).toMatchObject([{ variable: 'UPSTREAM_API_KEY', resource: PINNED, grpcStatus: 'UNAVAILABLE', attempts: 3 }])
  })

  it('when the payload does not match its checksum, then boot fails with DATA_LOSS', async () => {
    const sm = await fake()
    sm.on(PINNED, { value: 'corrupted-value-1', crc32c: 'wrong' })
    const error = await failure(resolveSecrets({ ...reference, SECRET_MANAGER_EMULATOR_HOST: sm.host }, { policy }))
    expect(error.details?.problems).toStrictEqual([{
      variable: 'UPSTREAM_API_KEY',
      resource: PINNED,
      grpcStatus: 'DATA_LOSS',
      attempts: 1,
      detail: `checksum mismatch for ${PINNED}`,
      fix: 'the payload did not match its CRC32C checksum: redeploy, and if it persists add the secret again as a new version',
    }])
  })

  it('when references are malformed, then it is a config error naming each variable, and nothing is fetched', async () => {
    const sm = await fake()
    const error = await failure(resolveSecrets({
      SECRET_MANAGER_EMULATOR_HOST: sm.host,
      A: 'sm://my-project',
      B: 'sm://my-project/api-key/extra',
      C: 'sm://My_Project/api-key',
      D: 'sm://my-project/api key',
      E: 'sm://my-project/api-key#',
    }, { policy }))
    expect(sm.requests).toStrictEqual([])
    expect(error.code).toBe('SVC_CONFIG_INVALID')
    expect(error.details?.problems).toStrictEqual([
      { variable: 'A', reason: 'expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION, got "sm://my-project"' },
      { variable: 'B', reason: 'expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION, got "sm://my-project/api-key/extra"' },
      { variable: 'C', reason: 'has an invalid project ID "My_Project" (expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION)' },
      { variable: 'D', reason: 'has an invalid secret ID "api key" (expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION)' },
      { variable: 'E', reason: 'has an invalid version "": use a number, latest or an alias' },
    ])
    expect(error.message).toMatch(/^Invalid configuration: A expected sm:\/\/PROJECT\/SECRET/)
  })

  it('when several secrets fail, then one error names all of them', async () => {
    const sm = await fake()
    sm.on('projects/my-project/secrets/b/versions/1', { fail: status.PERMISSION_DENIED })
    const error = await failure(resolveSecrets({ SECRET_MANAGER_EMULATOR_HOST: sm.host, A: 'sm://my-project/a#1', B: 'sm://my-project/b#1' }, { policy }))
    expect(error.details?.problems).toMatchObject([
      { variable: 'A', grpcStatus: 'NOT_FOUND' },
      { variable: 'B', grpcStatus: 'PERMISSION_DENIED' },
    ])
  })
})

describe('resolveSecrets from files (NAME_FILE)', () => {
  it('when NAME_FILE names a file, then NAME is its contents with one trailing newline trimmed', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'key'), 'file-value-1\n\n')
    await writeFile(join(dir, 'level'), 'debug\r\n')
    const resolved = await resolveSecrets({ UPSTREAM_API_KEY_FILE: join(dir, 'key'), LOG_LEVEL_FILE: join(dir, 'level') })
    expect(resolved.env.UPSTREAM_API_KEY).toBe('file-value-1\n')
    expect(resolved.env.LOG_LEVEL).toBe('debug')
    // In the schema's order.
    expect(resolved.variables).toStrictEqual(['LOG_LEVEL', 'UPSTREAM_API_KEY'])
  })

  it('when a variable is not in the schema, then its _FILE is left alone', async () => {
    const resolved = await resolveSecrets({ SOMETHING_ELSE_FILE: '/nonexistent' })
    expect(resolved.env).toStrictEqual({ SOMETHING_ELSE_FILE: '/nonexistent' })
  })

  it('when both NAME and NAME_FILE are set, then it is a config error', async () => {
    const error = await failure(resolveSecrets({ UPSTREAM_API_KEY: 'plain', UPSTREAM_API_KEY_FILE: '/run/secrets/key' }))
    expect(error.code).toBe('SVC_CONFIG_INVALID')
    expect(error.message).toBe('Invalid configuration: UPSTREAM_API_KEY and UPSTREAM_API_KEY_FILE are both set: set only one')
  })

  it('when NAME_FILE cannot be read, then boot fails naming the variable, the file, the error and the fix', async () => {
    const dir = await tempDir()
    const error = await failure(resolveSecrets({ UPSTREAM_API_KEY_FILE: join(dir, 'missing'), LOG_LEVEL_FILE: dir }))
    expect(error.code).toBe('SVC_SECRET_UNRESOLVED')
    expect(error.details?.problems).toStrictEqual([
      { variable: 'LOG_LEVEL', file: dir, error: 'EISDIR', fix: 'point the variable at the file inside the mounted directory, not the directory' },
      { variable: 'UPSTREAM_API_KEY', file: join(dir, 'missing'), error: 'ENOENT', fix: 'mount the secret at this path (gcloud run deploy --set-secrets PATH=SECRET:VERSION) or fix the path' },
    ])
  })
})
