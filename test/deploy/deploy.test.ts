import { describe, expect, it } from 'vitest'
import { canRunGcloud, gcloudSkipReason, PROJECT, REGION, startHarness } from './gcloud-harness.ts'
import type { KnativeService } from './fake-knative.ts'

const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/cloud-run/hello-cloud-run@sha256:${'a'.repeat(64)}`
const RUNTIME_SA = `hello-cloud-run-runtime@${PROJECT}.iam.gserviceaccount.com`
const INVOKER = `smoke-invoker@${PROJECT}.iam.gserviceaccount.com`
const KNATIVE_SERVICES = `/apis/serving.knative.dev/v1/namespaces/${PROJECT}/services`

function audienceOf (authorization: string | string[] | undefined): unknown {
  const token = String(authorization).replace(/^Bearer /, '')
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud: unknown }).aud
}

describe.skipIf(!canRunGcloud)(`deploy.sh with the real gcloud against fake Google APIs ${gcloudSkipReason}`, () => {
  it('when deploy.sh deploys, then gcloud sends the Knative Service built from config.env, the smoke test carries an ID token, and the URL is printed', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')

    const result = await run('deploy/deploy.sh', ['--image', IMAGE], { MIN_INSTANCES: '1', SMOKE_INVOKER_SA: INVOKER })

    expect(result.code, result.stderr).toBe(0)
    const serviceUrl = `http://127.0.0.1:${fake.port}/__run/svc`
    expect(result.stdout).toBe(`${serviceUrl}\n`)
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.path === KNATIVE_SERVICES)
    expect(creates).toHaveLength(1)
    const sent = creates[0]?.body as KnativeService
    expect(sent.metadata.name).toBe('hello-cloud-run')
    expect(sent.metadata.annotations?.['run.googleapis.com/ingress']).toBe('all')
    expect(sent.spec.template.metadata?.annotations).toMatchObject({
      'autoscaling.knative.dev/minScale': '1',
      'autoscaling.knative.dev/maxScale': '10',
      'run.googleapis.com/cpu-throttling': 'True',
      'run.googleapis.com/startup-cpu-boost': 'True',
    })
    expect(sent.spec.template.spec).toMatchObject({ containerConcurrency: 80, timeoutSeconds: 60, serviceAccountName: RUNTIME_SA })
    const containers = sent.spec.template.spec.containers as Array<Record<string, unknown>>
    expect(containers).toHaveLength(1)
    expect(containers[0]).toMatchObject({
      image: IMAGE,
      resources: { limits: { cpu: '1', memory: '512Mi' } },
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'DRAIN_TIMEOUT_MS', value: '8000' },
        { name: 'UPSTREAM_API_KEY', valueFrom: { secretKeyRef: { name: 'upstream-api-key', key: 'latest' } } },
      ],
      startupProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30 },
      livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    })
    // Private: no allUsers binding was attempted.
    expect(fake.requests.filter((r) => r.path.endsWith(':setIamPolicy'))).toStrictEqual([])

    const smoke = fake.requests.filter((r) => r.path.startsWith('/__run/'))
    expect(smoke.map((r) => r.path)).toStrictEqual(['/__run/svc/ready', '/__run/svc/'])
    for (const request of smoke) expect(audienceOf(request.headers.authorization)).toBe(serviceUrl)
  })

  it('when deploy.sh --canary deploys onto a serving revision, then the new revision gets no traffic and a canary tag, and the smoke test reaches the tag URL', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')
    const serving = fake.knative.save({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello-cloud-run' },
      spec: { template: { spec: { containers: [{ image: `${IMAGE.slice(0, -4)}0000` }] } } },
    }).status?.latestReadyRevisionName

    const result = await run('deploy/deploy.sh', ['--canary', '--image', IMAGE], { SMOKE_INVOKER_SA: INVOKER })

    expect(result.code, result.stderr).toBe(0)
    const canaryUrl = `http://127.0.0.1:${fake.port}/__run/canary`
    expect(result.stdout).toBe(`${canaryUrl}\n`)
    const replaced = fake.requests.filter((r) => r.method === 'PUT' && r.path === `${KNATIVE_SERVICES}/hello-cloud-run`)
    expect(replaced).toHaveLength(1)
    const sent = replaced[0]?.body as KnativeService
    const canaryRevision = sent.spec.template.metadata?.name
    expect(canaryRevision).toMatch(/^hello-cloud-run-/)
    expect(sent.spec.traffic).toStrictEqual([
      { percent: 100, revisionName: serving },
      { revisionName: canaryRevision, tag: 'canary' },
    ])
    expect(fake.requests.filter((r) => r.path.startsWith('/__run/')).map((r) => r.path)).toStrictEqual(['/__run/canary/ready', '/__run/canary/'])
  })

  it('when the service does not exist yet, then deploy.sh --canary stops with a clear error and creates nothing', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')

    const result = await run('deploy/deploy.sh', ['--canary', '--image', IMAGE])

    expect(result.code).toBe(1)
    expect(result.stderr).toContain('error: hello-cloud-run does not exist yet in us-central1: the first deploy cannot be a canary; run deploy.sh without --canary')
    expect(fake.mutations()).toStrictEqual([])
  })
})
