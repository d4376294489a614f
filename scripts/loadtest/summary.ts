import type { Result } from 'autocannon'

// What a load test found, reduced to the numbers the issue asks for, and the
// SLO gate that turns them into an exit code.

export interface Summary {
  durationSeconds: number
  /** Completed requests (any status) per second over the measured run. */
  requestsPerSecond: number
  latencyMs: { p50: number, p90: number, p99: number, max: number }
  /** Completed responses plus requests that got no response. */
  requests: number
  status2xx: number
  non2xx: number
  /** Requests that got no response: connection errors and timeouts. */
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** (non-2xx + errors) / requests; 0 when nothing was sent. */
  errorRatio: number
}

export interface SloCheck {
  name: 'error ratio' | 'p99'
  limit: number
  actual: number
  unit: '' | 'ms'
  passed: boolean
}

export function summarise (result: Result): Summary {
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count ?? 0
  const responses = result['2xx'] + result.non2xx
  // autocannon counts a timeout both in `errors` and in `timeouts`.
  const requests = responses + result.errors
  return {
    durationSeconds: result.duration,
    requestsPerSecond: result.duration > 0 ? round(responses / result.duration, 1) : 0,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests,
    status2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    errorRatio: requests === 0 ? 0 : round((result.non2xx + result.errors) / requests, 6),
  }
}

export function checkSlo (summary: Summary, { maxErrorRatio, maxP99Ms }: { maxErrorRatio?: number | undefined, maxP99Ms?: number | undefined }): SloCheck[] {
  const checks: SloCheck[] = []
  if (maxErrorRatio !== undefined) {
    // A run that completed nothing has no evidence of health: it fails.
    const actual = summary.requests === 0 ? 1 : summary.errorRatio
    checks.push({ name: 'error ratio', limit: maxErrorRatio, actual, unit: '', passed: actual <= maxErrorRatio })
  }
  if (maxP99Ms !== undefined) {
    checks.push({ name: 'p99', limit: maxP99Ms, actual: summary.latencyMs.p99, unit: 'ms', passed: summary.status2xx + summary.non2xx > 0 && summary.latencyMs.p99 <= maxP99Ms })
  }
  return checks
}

function round (value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** The human-readable result: one row per number, aligned. */
export function formatSummary (summary: Summary): string {
  const rows: Array<[string, string]> = [
    ['Requests/s', summary.requestsPerSecond.toFixed(1)],
    ['Latency p50', `${summary.latencyMs.p50} ms`],
    ['Latency p90', `${summary.latencyMs.p90} ms`],
    ['Latency p99', `${summary.latencyMs.p99} ms`],
    ['Latency max', `${summary.latencyMs.max} ms`],
    ['2xx', String(summary.status2xx)],
    ['Non-2xx', String(summary.non2xx) + formatCodes(summary.statusCodes)],
    ['Errors', `${summary.errors} (connection errors and timeouts)`],
    ['Timeouts', String(summary.timeouts)],
    ['Error ratio', `${summary.errorRatio} ((non-2xx + errors) / ${summary.requests} requests)`],
  ]
  const width = Math.max(...rows.map(([name]) => name.length))
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n')
}

function formatCodes (statusCodes: Record<string, number>): string {
  const non2xx = Object.entries(statusCodes).filter(([code]) => !code.startsWith('2'))
  return non2xx.length === 0 ? '' : ` (${non2xx.map(([code, count]) => `${code}: ${count}`).join(', ')})`
}

export function formatSlo (checks: SloCheck[]): string {
  if (checks.length === 0) return 'SLO: none given (--max-error-ratio, --max-p99-ms)'
  const withUnit = (value: number, unit: string) => unit === '' ? String(value) : `${value} ${unit}`
  const parts = checks.map((check) => `${check.name} ${withUnit(check.actual, check.unit)} ${check.passed ? '<=' : '>'} ${withUnit(check.limit, check.unit)}`)
  return `SLO: ${checks.every((check) => check.passed) ? 'PASS' : 'FAIL'} (${parts.join('; ')})`
}
