import { describe, expect, it } from 'vitest'
import { canRunGcloud, gcloudSkipReason, PROJECT, REGION, startHarness } from './gcloud-harness.ts'
import type { KnativeService } from './fake-knative.ts'

const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/cloud-run/hello-cloud-run@sha256:${'c'.repeat(64)}`
const SERVICE_PATH = `/apis/serving.knative.dev/v1/namespaces/${PROJECT}/services`

// What a revision runs, as both deploy paths must send it. gcloud writes
// booleans in annotations as "True"; the manifest as "true".
function revisionSettings (service: KnativeService) {
  const annotations = service.spec.template.metadata?.annotations ?? {}
  const { containerConcurrency, timeoutSeconds, serviceAccountName, containers } = service.spec.template.spec as { containerConcurrency: number, timeoutSeconds: number, serviceAccountName: string, containers: Array<Record<string, unknown>> }
  const [app] = containers
  return {
    scaling: [annotations['autoscaling.knative.dev/minScale'], annotations['autoscaling.knative.dev/maxScale']],
    cpu: [annotations['run.googleapis.com/cpu-throttling']?.toLowerCase(), annotations['run.googleapis.com/startup-cpu-boost']?.toLowerCase()],
    ingress: service.metadata.annotations?.['run.googleapis.com/ingress'],
    containerConcurrency,
    timeoutSeconds,
    serviceAccountName,
    image: app?.image,
    env: app?.env,
    limits: (app?.resources as { limits: unknown } | undefined)?.limits,
    startupProbe: app?.startupProbe,
    livenessProbe: app?.livenessProbe,
  }
}

describe.skipIf(!canRunGcloud)(`service.yaml through gcloud run services replace ${gcloudSkipReason}`, () => {
  it('when service.yaml is replaced, then gcloud accepts it and sends the same revision settings as deploy.sh', { timeout: 180_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')
    const env = { MIN_INSTANCES: '1' } // 0 is gcloud's default and it leaves minScale out

    const deployed = await run('deploy/deploy.sh', ['--no-smoke-test', '--image', IMAGE], env)
    expect(deployed.code, deployed.stderr).toBe(0)
    const replaced = await run('deploy/replace.sh', ['--image', IMAGE], env)
    expect(replaced.code, replaced.stderr).toBe(0)

    const byDeploy = fake.requests.find((r) => r.method === 'POST' && r.path === SERVICE_PATH)?.body as KnativeService
    const byManifest = fake.requests.find((r) => r.method === 'PUT' && r.path === `${SERVICE_PATH}/hello-cloud-run`)?.body as KnativeService
    expect(byManifest.metadata.name).toBe('hello-cloud-run')
    expect(revisionSettings(byManifest)).toStrictEqual(revisionSettings(byDeploy))
    expect(revisionSettings(byManifest).scaling).toStrictEqual(['1', '10'])
  })

  it('when the OpenTelemetry sidecar variant is replaced, then the collector starts first and the app exports to it', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')

    const replaced = await run('deploy/replace.sh', ['--file', 'deploy/service.otel-sidecar.yaml', '--image', IMAGE])

    expect(replaced.code, replaced.stderr).toBe(0)
    const sent = fake.requests.find((r) => r.method === 'POST' && r.path === SERVICE_PATH)?.body as KnativeService
    expect(sent.spec.template.metadata?.annotations?.['run.googleapis.com/container-dependencies']).toBe('{"app":["collector"]}')
    const [app, collector] = sent.spec.template.spec.containers as Array<{ name: string, image: string, env?: unknown[], volumeMounts?: unknown[] }>
    expect(app?.env).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://localhost:4318' })
    expect(collector?.name).toBe('collector')
    expect(collector?.image).toMatch(/^us-docker\.pkg\.dev\/cloud-ops-agents-artifacts\/google-cloud-opentelemetry-collector\/otelcol-google:\d+\.\d+\.\d+$/)
    expect(collector?.volumeMounts).toStrictEqual([{ name: 'collector-config', mountPath: '/etc/otelcol-google/' }])
    expect(sent.spec.template.spec.volumes).toStrictEqual([{ name: 'collector-config', secret: { secretName: 'otel-collector-config', items: [{ key: 'latest', path: 'config.yaml' }] } }])
  })
})
