import { describe, expect, it } from 'vitest'
import { canRunGcloud, gcloudSkipReason, PROJECT, startHarness } from './gcloud-harness.ts'
import type { KnativeService } from './fake-knative.ts'

const service = (image: string, traffic?: KnativeService['spec']['traffic']): KnativeService => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'hello-cloud-run' },
  spec: { template: { spec: { containers: [{ image }] } }, ...(traffic === undefined ? {} : { traffic }) },
})

describe.skipIf(!canRunGcloud)(`traffic.sh with the real gcloud against fake Google APIs ${gcloudSkipReason}`, () => {
  it('when traffic.sh rollback runs, then all traffic goes to the newest ready revision older than the one serving', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')
    const revisions = ['one', 'two', 'three'].map((image) => fake.knative.save(service(`example/${image}@sha256:${'b'.repeat(64)}`)).status?.latestCreatedRevisionName as string)
    // A fourth, newer revision exists as a canary with no traffic: rollback
    // must look at what serves, not at what is newest.
    fake.knative.save(service(`example/four@sha256:${'b'.repeat(64)}`, [{ revisionName: revisions[2], percent: 100 }]))

    const result = await run('deploy/traffic.sh', ['rollback'])

    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain(`==> rolling back from ${revisions[2]} to ${revisions[1]}`)
    const replaced = fake.requests.filter((r) => r.method === 'PUT' && r.path === `/apis/serving.knative.dev/v1/namespaces/${PROJECT}/services/hello-cloud-run`)
    expect(replaced).toHaveLength(1)
    expect((replaced[0]?.body as KnativeService).spec.traffic).toStrictEqual([{ percent: 100, revisionName: revisions[1] }])
  })

  it('when deploy.sh runs after a rollback pinned traffic, then the new revision gets all traffic', { timeout: 120_000 }, async () => {
    const { fake, run } = await startHarness()
    fake.enabledApis.add('run.googleapis.com')
    const first = fake.knative.save(service(`example/one@sha256:${'b'.repeat(64)}`)).status?.latestCreatedRevisionName as string
    fake.knative.save(service(`example/two@sha256:${'b'.repeat(64)}`, [{ revisionName: first, percent: 100 }]))

    const result = await run('deploy/deploy.sh', ['--no-smoke-test', '--image', `example/three@sha256:${'e'.repeat(64)}`])

    expect(result.code, result.stderr).toBe(0)
    const created = fake.knative.revisions.at(-1)?.name
    expect(result.stderr).toContain(`==> traffic is pinned to other revisions (a rollback?): sending 100% to ${created}`)
    const puts = fake.requests.filter((r) => r.method === 'PUT').map((r) => (r.body as KnativeService).spec.traffic)
    expect(puts.at(-1)).toStrictEqual([{ latestRevision: true, percent: 100 }])
  })
})
