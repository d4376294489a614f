import { describe, expect, it } from 'vitest'
import { canRunGcloud, gcloudSkipReason, PROJECT, startHarness } from './gcloud-harness.ts'

const RUNTIME = `serviceAccount:hello-cloud-run-runtime@${PROJECT}.iam.gserviceaccount.com`
const DEPLOYER = `serviceAccount:deployer@${PROJECT}.iam.gserviceaccount.com`

describe.skipIf(!canRunGcloud)(`bootstrap.sh with the real gcloud against fake Google APIs ${gcloudSkipReason}`, () => {
  it('when bootstrap.sh runs on an empty project, then it grants least privilege, and a second run changes nothing', { timeout: 240_000 }, async () => {
    const { fake, run } = await startHarness()

    const first = await run('deploy/bootstrap.sh', [], { DEPLOYER_SA_NAME: 'deployer' })

    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe('')
    expect([...fake.enabledApis].sort()).toStrictEqual(['artifactregistry', 'cloudbuild', 'cloudtrace', 'iam', 'logging', 'monitoring', 'run', 'secretmanager'].map((api) => `${api}.googleapis.com`))
    expect(fake.mutations().map((r) => `${r.method} ${r.api} ${r.path}`)).toStrictEqual([
      `POST serviceusage /v1/projects/${PROJECT}/services:batchEnable`,
      `POST artifactregistry /v1/projects/${PROJECT}/locations/us-central1/repositories`,
      `POST iam /v1/projects/${PROJECT}/serviceAccounts`,
      `POST cloudresourcemanager /v1/projects/${PROJECT}:setIamPolicy`,
      `POST cloudresourcemanager /v1/projects/${PROJECT}:setIamPolicy`,
      `POST cloudresourcemanager /v1/projects/${PROJECT}:setIamPolicy`,
      `POST secretmanager /v1/projects/${PROJECT}/secrets`,
      `POST secretmanager /v1/projects/${PROJECT}/secrets/upstream-api-key:setIamPolicy`,
      `POST iam /v1/projects/${PROJECT}/serviceAccounts`,
      `POST cloudresourcemanager /v1/projects/${PROJECT}:setIamPolicy`,
      `POST artifactregistry /v1/projects/${PROJECT}/locations/us-central1/repositories/cloud-run:setIamPolicy`,
      `POST iam /v1/projects/${PROJECT}/serviceAccounts/hello-cloud-run-runtime@${PROJECT}.iam.gserviceaccount.com:setIamPolicy`,
    ])
    // The project grants: logs, traces and metrics for the runtime account,
    // run.developer for the deployer; no secret access at project level.
    expect(fake.policies.get(`projects/${PROJECT}`)?.bindings).toStrictEqual([
      { role: 'roles/logging.logWriter', members: [RUNTIME] },
      { role: 'roles/cloudtrace.agent', members: [RUNTIME] },
      { role: 'roles/monitoring.metricWriter', members: [RUNTIME] },
      { role: 'roles/run.developer', members: [DEPLOYER] },
    ])
    expect(fake.policies.get(`projects/${PROJECT}/secrets/upstream-api-key`)?.bindings).toStrictEqual([
      { role: 'roles/secretmanager.secretAccessor', members: [RUNTIME] },
    ])
    expect(fake.policies.get(`projects/${PROJECT}/locations/us-central1/repositories/cloud-run`)?.bindings).toStrictEqual([
      { role: 'roles/artifactregistry.writer', members: [DEPLOYER] },
    ])
    expect(fake.policies.get(`projects/${PROJECT}/serviceAccounts/hello-cloud-run-runtime@${PROJECT}.iam.gserviceaccount.com`)?.bindings).toStrictEqual([
      { role: 'roles/iam.serviceAccountUser', members: [DEPLOYER] },
    ])
    const secret = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/secrets'))
    expect(secret?.query.get('secretId')).toBe('upstream-api-key')
    expect(first.stderr).toContain("secret upstream-api-key has no value yet. Add one: printf %s 'VALUE' | gcloud secrets versions add upstream-api-key --data-file=-")

    fake.requests.length = 0
    const second = await run('deploy/bootstrap.sh', [], { DEPLOYER_SA_NAME: 'deployer' })

    expect(second.code, second.stderr).toBe(0)
    expect(fake.mutations()).toStrictEqual([])
    expect(second.stderr).not.toContain('+ gcloud')
  })
})
