// `npm run loadtest -- --url <URL>`: load-tests any URL, deployed or local,
// with autocannon, prints a summary (or --json), and exits non-zero when the
// SLO flags are missed, so CI and canaries can gate on it.
import { parseOptions, UsageError, USAGE, wantsHelp, type LoadtestOptions } from './loadtest/options.ts'
import { fetchIdToken } from './loadtest/id-token.ts'
import { sendFirstRequest, type FirstResponse } from './loadtest/preflight.ts'
import { runLoad } from './loadtest/run.ts'
import { checkSlo, formatSlo, formatSummary, summarise, type SloCheck, type Summary } from './loadtest/summary.ts'

const EXIT_SLO_MISSED = 1
const EXIT_BAD_INPUT = 2

function say (line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main (argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    say(USAGE)
    return 0
  }
  const options = parseOptions(argv)
  const headers = { ...options.headers }
  if (options.idToken) headers.authorization = `Bearer ${await fetchIdToken()}`
  const human = !options.json
  const progress = process.stderr.isTTY ? process.stderr : undefined
  const run = (durationSeconds: number, label: string) => runLoad({ ...options, headers, durationSeconds, progress, label })

  const pace = options.rate === undefined ? 'as fast as possible' : `${options.rate} requests/s`
  if (human) say(`Load test: GET ${options.url.href}, ${options.connections} connections, ${options.durationSeconds} s, ${pace}`)

  const first = await sendFirstRequest(options.url, headers, options.timeoutSeconds)
  if (human) say(`First request: ${first.status} in ${first.latencyMs} ms (may include a cold start; not counted)`)
  if ((first.status === 401 || first.status === 403) && !options.idToken) {
    process.stderr.write(`loadtest: the target answered ${first.status}; for a private Cloud Run service, add --id-token\n`)
  }

  let warmup
  if (options.warmupSeconds > 0) {
    const dropped = summarise(await run(options.warmupSeconds, 'warm-up'))
    warmup = { seconds: options.warmupSeconds, requests: dropped.requests, errors: dropped.errors, non2xx: dropped.non2xx }
    if (human) say(`Warm-up: ran ${options.warmupSeconds} s first and dropped its numbers (${dropped.requests} requests, ${dropped.non2xx} non-2xx, ${dropped.errors} errors); the results below exclude it.`)
  } else if (human) {
    say('Warm-up: none; the results include the first seconds, which may include cold starts (--warmup-seconds to drop them).')
  }

  const summary = summarise(await run(options.durationSeconds, 'running'))
  const checks = checkSlo(summary, options)
  const passed = checks.every((check) => check.passed)
  if (human) {
    say(formatSummary(summary))
    say(formatSlo(checks))
  } else {
    say(JSON.stringify(toJson({ options, firstRequest: first, warmup: warmup ?? null, summary, checks, passed })))
  }
  return passed ? 0 : EXIT_SLO_MISSED
}

interface JsonReport {
  options: LoadtestOptions
  firstRequest: FirstResponse
  warmup: { seconds: number, requests: number, errors: number, non2xx: number } | null
  summary: Summary
  checks: SloCheck[]
  passed: boolean
}

function toJson ({ options, firstRequest, warmup, summary, checks, passed }: JsonReport) {
  // Header values are left out: one of them may be a token.
  return {
    url: options.url.href,
    connections: options.connections,
    rate: options.rate ?? null,
    headers: Object.keys(options.headers).concat(options.idToken ? ['authorization'] : []),
    firstRequest,
    warmup,
    ...summary,
    slo: { passed, checks },
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (error: unknown) => {
  if (!(error instanceof UsageError)) throw error
  process.stderr.write(`loadtest: ${error.message}\n`)
  process.exitCode = EXIT_BAD_INPUT
})
