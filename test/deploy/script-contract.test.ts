import { existsSync } from 'node:fs'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { canRunGcloud, gcloudSkipReason, hasGcloud, PROJECT, REGION, ROOT, runPlain, startHarness } from './gcloud-harness.ts'

const SCRIPTS = ['bootstrap', 'build', 'deploy', 'traffic', 'replace', 'monitoring', 'multi-region'].map((name) => `deploy/${name}.sh`)
const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/cloud-run/hello-cloud-run@sha256:${'d'.repeat(64)}`
const RUNTIME_SA = `hello-cloud-run-runtime@${PROJECT}.iam.gserviceaccount.com`
const DEPLOYER = `serviceAccount:deployer@${PROJECT}.iam.gserviceaccount.com`
const P = `--project=${PROJECT} --quiet`

async function tempDir () {
  const dir = await mkdtemp(join(tmpdir(), 'deploy-contract-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

describe('every deploy script', () => {
  it.each(SCRIPTS)('when %s gets --help, then it prints its usage and exits 0', async (script) => {
    const result = await runPlain(script, ['--help'], { PATH: '/usr/bin:/bin' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^Usage: ${script.replace('.', '\\.')} `))
    expect(result.stdout).toContain('--dry-run')
  })

  it.each(SCRIPTS)('when %s gets an unknown option, then it shows its usage on stderr, names the option and exits 1', async (script) => {
    const result = await runPlain(script, ['--bogus'], { PATH: '/usr/bin:/bin' })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(new RegExp(`^Usage: ${script.replace('.', '\\.')} [\\s\\S]*\\nerror: unknown option: --bogus\\n$`))
  })

  it.each(SCRIPTS)('when %s finds no gcloud on PATH, then it says how to install it', async (script) => {
    const dir = await tempDir()
    // A machine with bash (the shebang finds it through PATH) and no gcloud.
    await symlink('/bin/bash', join(dir, 'bash'))
    const args = script.endsWith('traffic.sh') ? ['promote'] : /deploy\.sh|replace\.sh/.test(script) ? ['--image', IMAGE] : []
    const result = await runPlain(script, args, { PATH: dir, PROJECT_ID: PROJECT })
    expect(result.stderr).toBe('error: gcloud not found on PATH. Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install\n')
    expect(result.code).toBe(1)
  })

  it('when the config leaves a required setting empty, then the script names it', async () => {
    const dir = await tempDir()
    const config = join(dir, 'config.env')
    await writeFile(config, 'PROJECT_ID=demo-project-7\nREGION=""\nSERVICE=""\nAR_REPOSITORY=cloud-run\nIMAGE_NAME=x\nRUNTIME_SA_NAME=x\n')
    const result = await runPlain('deploy/deploy.sh', ['--dry-run', '--image', IMAGE], { PATH: '/usr/bin:/bin', DEPLOY_CONFIG: config })
    expect(result.stderr).toBe(`error: incomplete config in ${config}: set REGION SERVICE\n`)
    expect(result.code).toBe(1)
  })

  it('when a SECRETS entry lacks its version, then the script names the entry', async () => {
    const result = await runPlain('deploy/bootstrap.sh', ['--dry-run'], { PATH: '/usr/bin:/bin', PROJECT_ID: PROJECT, SECRETS: 'UPSTREAM_API_KEY=upstream-api-key' })
    expect(result.stderr).toBe("error: SECRETS entry 'UPSTREAM_API_KEY=upstream-api-key' is not ENV_VAR=secret-name:version\n")
    expect(result.code).toBe(1)
  })

  it('when build.sh --dry-run runs, then it names the image by commit and UTC time, or says the Dockerfile is missing', async () => {
    const result = await runPlain('deploy/build.sh', ['--dry-run'], { PATH: '/usr/bin:/bin', PROJECT_ID: PROJECT })
    if (!existsSync(join(ROOT, 'Dockerfile'))) {
      expect(result.stderr).toBe(`error: no Dockerfile in ${ROOT.replace(/\/$/, '')}: the container image is defined there\n`)
      return
    }
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^gcloud builds submit ${ROOT.replace(/\/$/, '')} --tag=${REGION}-docker\\.pkg\\.dev/${PROJECT}/cloud-run/hello-cloud-run:[0-9a-f]{12}(-dirty)?-\\d{8}T\\d{6}Z --region=${REGION} ${P}\n$`))
  })

  it('when the image is a tag rather than a digest, then deploy.sh refuses it', async () => {
    const result = await runPlain('deploy/deploy.sh', ['--dry-run', '--image', `${IMAGE.split('@')[0] ?? ''}:latest`], { PATH: '/usr/bin:/bin', PROJECT_ID: PROJECT })
    expect(result.stderr).toMatch(/^error: deploy by digest: '.+:latest' has no @sha256: digest\n$/)
    expect(result.code).toBe(1)
  })

  it.skipIf(!hasGcloud)('when no project is configured anywhere, then the script says how to set one', async () => {
    const dir = await tempDir()
    const result = await runPlain('deploy/deploy.sh', ['--image', IMAGE], { PATH: '/usr/bin:/bin', HOME: dir, CLOUDSDK_CONFIG: dir, CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true', CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true' })
    expect(result.stderr).toContain(`error: no Google Cloud project: set PROJECT_ID in ${join(ROOT, 'deploy/config.env')}, or run: gcloud config set project YOUR_PROJECT`)
    expect(result.code).toBe(1)
  })
})

describe.skipIf(!canRunGcloud)(`--dry-run prints the exact commands and sends nothing ${gcloudSkipReason}`, () => {
  it('when deploy.sh --canary --dry-run runs with Direct VPC egress, then it prints the one gcloud run deploy command', async () => {
    const { fake, run } = await startHarness()
    const result = await run('deploy/deploy.sh', ['--dry-run', '--canary', '--image', IMAGE], { VPC_NETWORK: 'default', VPC_SUBNET: 'run-egress' })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`gcloud run deploy hello-cloud-run --image=${IMAGE} --region=us-central1 --platform=managed --service-account=${RUNTIME_SA} ` +
      '--concurrency=80 --min-instances=0 --max-instances=10 --cpu=1 --memory=512Mi --timeout=60s --ingress=all ' +
      '--startup-probe=httpGet.path=/ready,httpGet.port=8080,periodSeconds=2,timeoutSeconds=1,failureThreshold=30 ' +
      '--liveness-probe=httpGet.path=/health,httpGet.port=8080,periodSeconds=10,timeoutSeconds=3,failureThreshold=3 ' +
      '--cpu-boost --cpu-throttling --no-allow-unauthenticated --network=default --vpc-egress=private-ranges-only --subnet=run-egress ' +
      '--set-env-vars=LOG_LEVEL=info,DRAIN_TIMEOUT_MS=8000 --set-secrets=UPSTREAM_API_KEY=upstream-api-key:latest ' +
      `--labels=managed-by=deploy-sh --no-traffic --tag=canary ${P}\n`)
    expect(fake.requests).toStrictEqual([])
  })

  it('when bootstrap.sh --dry-run runs, then it prints every command a first run sends', async () => {
    const { fake, run } = await startHarness()
    const result = await run('deploy/bootstrap.sh', ['--dry-run'], { DEPLOYER_SA_NAME: 'deployer' })
    expect(result.code, result.stderr).toBe(0)
    const runtime = `serviceAccount:${RUNTIME_SA}`
    expect(result.stdout.split('\n')).toStrictEqual([
      `gcloud services enable run.googleapis.com artifactregistry.googleapis.com cloudbuild.googleapis.com secretmanager.googleapis.com iam.googleapis.com logging.googleapis.com monitoring.googleapis.com cloudtrace.googleapis.com ${P}`,
      `gcloud artifacts repositories create cloud-run --repository-format=docker --location=us-central1 '--description=Images for Cloud Run services' ${P}`,
      `gcloud iam service-accounts create hello-cloud-run-runtime '--display-name=Runtime identity of hello-cloud-run' ${P}`,
      ...['logging.logWriter', 'cloudtrace.agent', 'monitoring.metricWriter'].map((role) =>
        `gcloud projects add-iam-policy-binding ${PROJECT} --condition=None --member=${runtime} --role=roles/${role} --format=none ${P}`),
      `gcloud secrets create upstream-api-key --replication-policy=automatic ${P}`,
      `gcloud secrets add-iam-policy-binding upstream-api-key --member=${runtime} --role=roles/secretmanager.secretAccessor --format=none ${P}`,
      `gcloud iam service-accounts create deployer '--display-name=Deploys hello-cloud-run from CI' ${P}`,
      `gcloud projects add-iam-policy-binding ${PROJECT} --condition=None --member=${DEPLOYER} --role=roles/run.developer --format=none ${P}`,
      `gcloud artifacts repositories add-iam-policy-binding cloud-run --location=us-central1 --member=${DEPLOYER} --role=roles/artifactregistry.writer --format=none ${P}`,
      `gcloud iam service-accounts add-iam-policy-binding ${RUNTIME_SA} --member=${DEPLOYER} --role=roles/iam.serviceAccountUser --format=none ${P}`,
      '',
    ])
    expect(fake.requests).toStrictEqual([])
  })

  it('when traffic.sh --dry-run runs each command, then it prints the gcloud update-traffic it would send', async () => {
    const { fake, run } = await startHarness()
    const cases: Array<[string[], string]> = [
      [['canary', '10'], '--to-tags=canary=10'],
      [['split', 'a-00001-x=90,a-00002-y=10'], '--to-revisions=a-00001-x=90,a-00002-y=10'],
      [['promote'], '--to-latest'],
      [['rollback', 'a-00001-x'], '--to-revisions=a-00001-x=100'],
    ]
    for (const [args, flag] of cases) {
      const result = await run('deploy/traffic.sh', [...args, '--dry-run'])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toBe(`gcloud run services update-traffic hello-cloud-run --region=us-central1 ${flag} ${P}\n`)
    }
    expect(fake.requests).toStrictEqual([])
  })

  it('when multi-region.sh --dry-run runs, then it prints a serverless NEG per region behind one global HTTPS load balancer', async () => {
    const { fake, run } = await startHarness()
    const result = await run('deploy/multi-region.sh', ['--dry-run'], { LB_DOMAIN: 'hello.example.com', MULTI_REGIONS: 'us-central1 europe-west1' })
    expect(result.code, result.stderr).toBe(0)
    const neg = (region: string) => [
      `gcloud compute network-endpoint-groups create hello-cloud-run-neg-${region} --region=${region} --network-endpoint-type=serverless --cloud-run-service=hello-cloud-run ${P}`,
      `gcloud compute backend-services add-backend hello-cloud-run-backend --global --network-endpoint-group=hello-cloud-run-neg-${region} --network-endpoint-group-region=${region} ${P}`,
    ]
    expect(result.stdout.trim().split('\n')).toStrictEqual([
      `gcloud services enable compute.googleapis.com ${P}`,
      `gcloud compute backend-services create hello-cloud-run-backend --global --load-balancing-scheme=EXTERNAL_MANAGED ${P}`,
      ...neg('us-central1'),
      ...neg('europe-west1'),
      `gcloud compute url-maps create hello-cloud-run-url-map --default-service=hello-cloud-run-backend ${P}`,
      `gcloud compute addresses create hello-cloud-run-ip --global --ip-version=IPV4 ${P}`,
      `gcloud compute ssl-certificates create hello-cloud-run-cert --global --domains=hello.example.com ${P}`,
      `gcloud compute target-https-proxies create hello-cloud-run-https-proxy --url-map=hello-cloud-run-url-map --ssl-certificates=hello-cloud-run-cert ${P}`,
      `gcloud compute forwarding-rules create hello-cloud-run-https --global --load-balancing-scheme=EXTERNAL_MANAGED --address=hello-cloud-run-ip --target-https-proxy=hello-cloud-run-https-proxy --ports=443 ${P}`,
    ])
    expect(fake.requests).toStrictEqual([])
  })

  it('when monitoring.sh --dry-run runs, then it prints the metric, policy and dashboard commands', async () => {
    const { fake, run } = await startHarness()
    const dir = await tempDir()
    const result = await run('deploy/monitoring.sh', ['--dry-run'], { TMPDIR: dir })
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trim().split('\n').map((line) => line.replace(/\/tmp\/[^ ]*\/tmp\.\w+\//, 'WORK/').replace(new RegExp(`${dir}/tmp\\.\\w+/`), 'WORK/'))
    expect(lines.map((line) => line.split(/ '?--/)[0])).toStrictEqual([
      'gcloud logging metrics create hello-cloud-run-cold-starts',
      'gcloud logging metrics create hello-cloud-run-breaker-open',
      ...Array(5).fill('gcloud alpha monitoring policies create'),
      'gcloud monitoring dashboards create',
    ])
    expect(lines.filter((line) => line.startsWith('gcloud alpha')).map((line) => line.match(/--policy-from-file=(\S+)/)?.[1]))
      .toStrictEqual(['5xx-ratio', 'p99-latency', 'max-instances', 'breaker-open', 'cold-starts'].map((name) => `WORK/${name}.json`))
    expect(fake.requests).toStrictEqual([])
  })
})
