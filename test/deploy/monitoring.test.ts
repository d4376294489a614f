import { describe, expect, it } from 'vitest'
import { canRunGcloud, gcloudSkipReason, PROJECT, startHarness } from './gcloud-harness.ts'

interface Policy {
  displayName: string
  documentation: { content: string, mimeType: string }
  conditions: Array<{ conditionThreshold: { filter: string, thresholdValue?: number, comparison: string, denominatorFilter?: string } }>
}

const ON_REVISIONS = 'resource.type="cloud_run_revision" AND resource.labels.service_name="hello-cloud-run"'

describe.skipIf(!canRunGcloud)(`monitoring.sh with the real gcloud against fake Google APIs ${gcloudSkipReason}`, () => {
  it('when monitoring.sh runs, then it creates the log-based metrics, five alert policies with a runbook line each, and a dashboard', { timeout: 240_000 }, async () => {
    const { fake, run } = await startHarness()

    const result = await run('deploy/monitoring.sh', [], { ALERT_CHANNELS: `projects/${PROJECT}/notificationChannels/42` })

    expect(result.code, result.stderr).toBe(0)
    const created = (path: string) => fake.requests.filter((r) => r.method === 'POST' && r.path === path).map((r) => r.body)
    expect(created(`/v2/projects/${PROJECT}/metrics`)).toStrictEqual([
      { name: 'hello-cloud-run-cold-starts', description: 'Instance start-ups of hello-cloud-run (ready log line)', filter: `${ON_REVISIONS} AND jsonPayload.bootMs:*` },
      { name: 'hello-cloud-run-breaker-open', description: 'Circuit breaker openings in hello-cloud-run', filter: `${ON_REVISIONS} AND jsonPayload.event="breaker_state_change" AND jsonPayload.state="open"` },
    ])

    const policies = created(`/v3/projects/${PROJECT}/alertPolicies`) as Policy[]
    expect(policies.map((p) => p.displayName)).toStrictEqual([
      'hello-cloud-run: 5xx ratio above 0.02',
      'hello-cloud-run: p99 latency above 1000 ms',
      'hello-cloud-run: instance count at max-instances (10)',
      'hello-cloud-run: circuit breaker opened',
      'hello-cloud-run: frequent cold starts',
    ])
    for (const policy of policies) {
      expect(policy.documentation.content).toMatch(/^Runbook: [^\n]+$/)
      expect(policy).toMatchObject({ notificationChannels: [`projects/${PROJECT}/notificationChannels/42`] })
    }
    const [ratio, latency, atMax, breaker, coldStarts] = policies.map((p) => p.conditions[0]?.conditionThreshold)
    expect(ratio?.filter).toContain('metric.labels.response_code_class = "5xx"')
    expect(ratio?.denominatorFilter).toContain('metric.type = "run.googleapis.com/request_count"')
    expect(latency).toMatchObject({ thresholdValue: 1000, comparison: 'COMPARISON_GT' })
    expect(atMax).toMatchObject({ thresholdValue: 9, comparison: 'COMPARISON_GT' })
    expect(breaker?.filter).toContain('metric.type = "logging.googleapis.com/user/hello-cloud-run-breaker-open"')
    expect(coldStarts?.filter).toContain('metric.type = "logging.googleapis.com/user/hello-cloud-run-cold-starts"')

    const dashboards = created(`/v1/projects/${PROJECT}/dashboards`) as Array<{ displayName: string, gridLayout: { widgets: Array<{ title: string }> } }>
    expect(dashboards.map((d) => [d.displayName, d.gridLayout.widgets.map((w) => w.title)])).toStrictEqual([
      ['hello-cloud-run overview', ['Requests per second', 'p99 latency (ms)', 'Instances', 'CPU utilisation', 'Cold starts', 'Breaker openings']],
    ])
  })
})
