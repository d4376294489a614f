import { parseArgs } from 'node:util'

// The command line of `npm run loadtest`, parsed and validated in one place,
// so that bad input fails before any request is sent, with a message that
// names the flag.

export interface LoadtestOptions {
  /** The target, with --path applied. */
  url: URL
  /** Concurrent connections. 80 is Cloud Run's default maximum concurrency per instance. */
  connections: number
  durationSeconds: number
  /** Fixed arrival rate over all connections (requests/s); undefined = as fast as possible. */
  rate: number | undefined
  headers: Record<string, string>
  idToken: boolean
  json: boolean
  /** A first run of this many seconds whose numbers are dropped (0 = none). */
  warmupSeconds: number
  /** A request with no answer within this time counts as a timeout (and an error). */
  timeoutSeconds: number
  /** SLO gate: exit 1 when (non-2xx + errors) / all requests goes over this. */
  maxErrorRatio: number | undefined
  /** SLO gate: exit 1 when the p99 latency goes over this. */
  maxP99Ms: number | undefined
}

/** Bad command-line input: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage: npm run loadtest -- --url <URL> [options]

  --url <URL>              target, http:// or https:// (required)
  --path <path>            request path, replaces the URL's path (default: the URL's)
  --connections <n>        concurrent connections (default 80, Cloud Run's default concurrency)
  --duration <s>           seconds to run (default 10)
  --rate <n>               fixed arrival rate, requests/s over all connections (default: as fast as possible)
  --header 'Name: value'   extra request header; repeat for more
  --id-token               send "Authorization: Bearer" with a token from \`gcloud auth print-identity-token\`
  --warmup-seconds <s>     run this long first and drop those numbers (default 0)
  --timeout <s>            a request unanswered this long is a timeout (default 10)
  --max-error-ratio <r>    SLO: exit 1 if (non-2xx + errors) / requests > r, e.g. 0.01
  --max-p99-ms <ms>        SLO: exit 1 if the p99 latency > ms
  --json                   print one JSON object instead of the table
  --help                   this text

Exit codes: 0 done (SLO met), 1 SLO missed, 2 bad input or target unreachable.`

function positiveNumber (flag: string, raw: string | undefined, { integer = false, allowZero = false } = {}): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  const valid = raw.trim() !== '' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value))
  if (!valid) {
    throw new UsageError(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got "${raw}"`)
  }
  return value
}

function parseUrl (raw: string | undefined, path: string | undefined): URL {
  if (raw === undefined) throw new UsageError('--url is required, e.g. --url https://my-service-abc123-ew.a.run.app')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UsageError(`malformed URL "${raw}": expected an absolute http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`malformed URL "${raw}": expected an absolute http:// or https:// URL`)
  }
  if (path !== undefined) {
    if (!path.startsWith('/')) throw new UsageError(`--path must start with "/", got "${path}"`)
    url = new URL(path, url.origin)
  }
  return url
}

function parseHeaders (raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const header of raw) {
    const colon = header.indexOf(':')
    const name = header.slice(0, colon).trim()
    if (colon < 1 || !/^[!#$%&'*+.^`|~\w-]+$/.test(name)) {
      throw new UsageError(`--header must look like 'Name: value', got "${header}"`)
    }
    headers[name.toLowerCase()] = header.slice(colon + 1).trim()
  }
  return headers
}

/** --help wins over everything else, even invalid flags. */
export function wantsHelp (argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

export function parseOptions (argv: string[]): LoadtestOptions {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        path: { type: 'string' },
        connections: { type: 'string', default: '80' },
        duration: { type: 'string', default: '10' },
        rate: { type: 'string' },
        header: { type: 'string', multiple: true, default: [] },
        'id-token': { type: 'boolean', default: false },
        'warmup-seconds': { type: 'string', default: '0' },
        timeout: { type: 'string', default: '10' },
        'max-error-ratio': { type: 'string' },
        'max-p99-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }))
  } catch (error) {
    // parseArgs' own messages name the flag ("Unknown option '--foo'").
    throw new UsageError(`${(error as Error).message}. Run with --help for the options.`)
  }
  const maxErrorRatio = positiveNumber('max-error-ratio', values['max-error-ratio'], { allowZero: true })
  if (maxErrorRatio !== undefined && maxErrorRatio > 1) {
    throw new UsageError(`--max-error-ratio is a ratio between 0 and 1, got "${values['max-error-ratio']}"`)
  }
  return {
    url: parseUrl(values.url, values.path),
    connections: positiveNumber('connections', values.connections, { integer: true }) as number,
    durationSeconds: positiveNumber('duration', values.duration) as number,
    rate: positiveNumber('rate', values.rate),
    headers: parseHeaders(values.header),
    idToken: values['id-token'],
    json: values.json,
    warmupSeconds: positiveNumber('warmup-seconds', values['warmup-seconds'], { allowZero: true }) as number,
    timeoutSeconds: positiveNumber('timeout', values.timeout) as number,
    maxErrorRatio,
    maxP99Ms: positiveNumber('max-p99-ms', values['max-p99-ms']),
  }
}
