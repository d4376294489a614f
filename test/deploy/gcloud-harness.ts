import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { FAKE_DOMAIN, fakeHostNames, startFakeGoogleApis, type FakeGoogleApis } from './fake-google-apis.ts'

// Runs the real deploy/*.sh scripts, with the real gcloud, against the fake
// Google APIs. gcloud calls Cloud Run at a regional host (it puts
// "<region>-" in front of the endpoint override's host), so every fake host
// name has to resolve to 127.0.0.1: the scripts run in a private mount
// namespace (unshare -m, root only) whose /etc/hosts is the test's own.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const GCLOUD = '/usr/bin/gcloud'
export const PROJECT = 'demo-project-7'
export const REGION = 'us-central1'

// Tried, not assumed: a container without CAP_SYS_ADMIN refuses it even to root.
const canBindHosts = process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /etc/hosts /etc/hosts'], { stdio: 'ignore' }).status === 0
export const hasGcloud = existsSync(GCLOUD)
export const canRunGcloud = hasGcloud && canBindHosts
export const gcloudSkipReason = !hasGcloud
  ? `skipped: the Google Cloud CLI is not installed at ${GCLOUD}`
  : !canBindHosts
      ? 'skipped: needs root and a private mount namespace (unshare -m) to give gcloud its own /etc/hosts'
      : ''

export interface ScriptResult { code: number, stdout: string, stderr: string }

export interface Harness {
  fake: FakeGoogleApis
  run: (script: string, args?: string[], env?: Record<string, string>) => Promise<ScriptResult>
}

export async function startHarness (): Promise<Harness> {
  const fake = await startFakeGoogleApis({ project: PROJECT, region: REGION })
  const dir = await mkdtemp(join(tmpdir(), 'deploy-test-'))
  const running = new Set<ChildProcess>()
  onTestFinished(async () => {
    // A test that timed out leaves gcloud running: end its whole process
    // group first, or it writes into the folder being removed.
    for (const child of running) if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  const hosts = join(dir, 'hosts')
  // Google's real hosts resolve to loopback too: a call the overrides miss
  // fails here instead of reaching the internet.
  const google = ['oauth2.googleapis.com', 'sts.googleapis.com', 'www.googleapis.com', 'run.googleapis.com', `${REGION}-run.googleapis.com`,
    'iamcredentials.googleapis.com', 'metadata.google.internal', 'storage.googleapis.com', 'cloudbuild.googleapis.com']
  await writeFile(hosts, `127.0.0.1 localhost ${fakeHostNames(REGION).join(' ')}\n127.0.0.2 ${google.join(' ')}\n::1 localhost\n`)
  await writeFile(join(dir, 'token'), 'fake-access-token\n')

  const endpoint = (api: string) => `http://${api}.${FAKE_DOMAIN}:${fake.port}/`
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: join(dir, 'token'),
    CLOUDSDK_CORE_PROJECT: PROJECT,
    // Nothing may leave loopback: no usage reports, update checks, surveys,
    // metadata-server probes or prompts.
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    CLOUDSDK_SURVEY_DISABLE_PROMPTS: 'true',
    CLOUDSDK_CORE_DISABLE_PROMPTS: 'true',
    NO_PROXY: '*',
  }
  for (const api of ['serviceusage', 'run', 'artifactregistry', 'iam', 'iamcredentials', 'cloudresourcemanager', 'secretmanager', 'logging', 'monitoring']) {
    env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`] = endpoint(api)
  }

  const run = (script: string, args: string[] = [], extraEnv: Record<string, string> = {}) => new Promise<ScriptResult>((resolve, reject) => {
    // The script runs as the docs show it, by its path from the project's
    // root: its mode and shebang are part of what is tested.
    const child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, script, ...args], {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so cleanup can end gcloud too
    })
    running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('exit', (code) => { running.delete(child); resolve({ code: code ?? -1, stdout, stderr }) })
  })
  return { fake, run }
}

/**
 * Runs a script as the docs show it (`deploy/build.sh …`, from the project's
 * root, through its shebang) with only the given environment: no namespace,
 * no fake.
 */
export function runPlain (script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}
