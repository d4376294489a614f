import { boolean, headerList, headerValue, integer, keyValueList, list, oneOf, ratio, text, url, type Parser } from './parsers.ts'

// Every environment variable the service reads, in one place: its parser, its
// default (undefined means "optional, no default") and one line of doc. The
// README's table and .env.example are generated from it: after a change, run
// `npm run docs:config` (a test fails while they are stale).
// Any variable can also be given as an sm:// reference or through NAME_FILE
// (src/secrets/resolve-secrets.ts).

interface Variable<T> {
  parse: Parser<T>
  default: T
  doc: string
  /** A secret: its value is censored in every log line and never echoed in a config error. */
  secret?: true
}

function variable<T> (parse: Parser<T>, defaultValue: T, doc: string, options: { secret?: true } = {}): Variable<T> {
  return { parse, default: defaultValue, doc, ...options }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const
const TRACES_SAMPLERS = [
  'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
] as const

export const schema = {
  PORT: variable(integer({ min: 0, max: 65535 }), 8080,
    'TCP port to listen on. Cloud Run sets it. 0 takes any free port (tests do).'),
  HOST: variable(text(), '0.0.0.0',
    'Interface to listen on. All IPv4 interfaces by default, as Cloud Run requires.'),
  K_SERVICE: variable<string | undefined>(text(), undefined,
    'Cloud Run service name (set by Cloud Run). Falls back to the package name.'),
  K_REVISION: variable<string | undefined>(text(), undefined,
    'Cloud Run revision name (set by Cloud Run).'),
  K_CONFIGURATION: variable<string | undefined>(text(), undefined,
    'Cloud Run configuration name (set by Cloud Run).'),
  GOOGLE_CLOUD_PROJECT: variable<string | undefined>(
    text({ pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, hint: 'a Google Cloud project ID' }), undefined,
    'Project for log-trace correlation. Unset: asked of the metadata server on Cloud Run.'),
  GCE_METADATA_HOST: variable<string | undefined>(text({ pattern: /^[\w.-]+(:\d+)?$/, hint: 'host or host:port' }),
    undefined,
    'Metadata server, host[:port]. Queried only when set, or on Cloud Run (K_SERVICE set) at metadata.google.internal.'),
  SECRET_MANAGER_EMULATOR_HOST: variable<string | undefined>(text({ pattern: /^[\w.-]+:\d+$/, hint: 'host:port' }),
    undefined,
    'Secret Manager endpoint, host:port, plaintext and without credentials (an emulator; the tests\' fake).'),
  LOG_LEVEL: variable(oneOf(LOG_LEVELS), 'info',
    'Lowest level written: trace, debug, info, warn, error, fatal or silent.'),
  LOG_REQUESTS: variable(boolean(), false,
    'Write one Cloud Logging httpRequest line per request. Off by default: Cloud Run\'s own request log has the same fields (docs/adr/0010-request-line-off-by-default.md).'),
  LOG_PRETTY: variable(boolean(), false,
    'Human-readable logs instead of JSON. `npm run dev` turns it on; never in production.'),
  DRAIN_TIMEOUT_MS: variable(integer({ min: 0, max: 9_500 }), 8_000,
    'How long SIGTERM waits for in-flight requests. Cloud Run sends SIGKILL 10 s after SIGTERM.'),
  TRUST_PROXY_HOPS: variable(integer({ min: 0, max: 10 }), 1,
    'Proxies in front of the service whose X-Forwarded-For entries are trusted. 1 = Google\'s front end.'),
  BODY_LIMIT_BYTES: variable(integer({ min: 0, max: 32 * 1024 * 1024 }), 64 * 1024,
    'Largest request body accepted; larger ones get 413.'),
  SHED_EVENT_LOOP_DELAY_MS: variable(integer({ min: 0, max: 60_000 }), 1_000,
    'Longest event-loop delay in the last second past which requests (not probes) get 503 + Retry-After. 0 turns shedding off.'),
  // The sample upstream behind GET /upstream (src/plugins/app/upstream-client.ts).
  UPSTREAM_URL: variable<string | undefined>(url(), undefined,
    'URL that `GET /upstream` calls with GET. Unset: `/upstream` answers 503 `SVC_UPSTREAM_NOT_CONFIGURED`.'),
  UPSTREAM_TIMEOUT_MS: variable(integer({ min: 1, max: 600_000 }), 2_000,
    'Per-attempt timeout. A warm upstream answers in milliseconds; 2 s catches a hung one and leaves room for a retry.'),
  UPSTREAM_RETRIES: variable(integer({ min: 0, max: 10 }), 2,
    'Retries after the first attempt (idempotent calls, retryable failures). 3 attempts in all, as Google\'s SRE book advises.'),
  UPSTREAM_DEADLINE_MS: variable(integer({ min: 1, max: 3_600_000 }), 5_000,
    'Overall limit on one call, retries and waits included. Below `DRAIN_TIMEOUT_MS`, so a call in flight at SIGTERM ends in time.'),
  UPSTREAM_MAX_CONCURRENCY: variable(integer({ min: 1, max: 10_000 }), 80,
    'Most sockets (so concurrent calls) open to the upstream; more wait. 80 = Cloud Run\'s default requests per instance.'),
  UPSTREAM_AUDIENCE: variable<string | undefined>(text(), undefined,
    'Audience of a Google ID token sent as `Authorization: Bearer` (a private Cloud Run upstream: its URL). Unset: no token.'),
  UPSTREAM_API_KEY: variable<string | undefined>(headerValue(), undefined,
    'Sent as x-api-key to the upstream. A secret: never logged; give sm://PROJECT/SECRET#VERSION or UPSTREAM_API_KEY_FILE.',
    { secret: true }),
  // Circuit breakers, one per outbound dependency (opossum's option names).
  BREAKER_ERROR_THRESHOLD_PERCENTAGE: variable(integer({ min: 1, max: 100 }), 50,
    'Failed calls, in percent of the last 10 s, above which the breaker opens. 50 is opossum\'s default.'),
  BREAKER_VOLUME_THRESHOLD: variable(integer({ min: 0, max: 10_000 }), 10,
    'Fewest calls in the last 10 s before the breaker may open, so one unlucky call on a quiet instance does not.'),
  BREAKER_RESET_TIMEOUT_MS: variable(integer({ min: 1, max: 600_000 }), 10_000,
    'How long an open breaker fails fast before one probe call goes through: time for Cloud Run to start upstream instances.'),
  // OpenTelemetry's standard variables, with the meaning the spec gives them:
  // https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
  OTEL_SDK_DISABLED: variable(boolean(), false,
    'Turns tracing off: no SDK is loaded, no spans, no propagation, and log lines carry no trace fields.'),
  OTEL_SERVICE_NAME: variable<string | undefined>(text(), undefined,
    '`service.name` on spans. Unset: `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `K_SERVICE`, else the package name.'),
  OTEL_RESOURCE_ATTRIBUTES: variable<Readonly<Record<string, string>> | undefined>(keyValueList(), undefined,
    'Extra resource attributes, `key1=value1,key2=value2` (values percent-encoded).'),
  OTEL_TRACES_EXPORTER: variable(oneOf(TRACES_EXPORTERS), 'otlp',
    '`otlp`, `console` or `none`. `otlp` exports only when an endpoint is set; with `none`, spans still drive log correlation.'),
  OTEL_EXPORTER_OTLP_ENDPOINT: variable<string | undefined>(url(), undefined,
    'OTLP base URL; `/v1/traces` is appended over HTTP. Unset, with no traces endpoint either: nothing is exported.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable<string | undefined>(url(), undefined,
    'OTLP URL for traces, used as is. Wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.'),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable(oneOf(OTLP_PROTOCOLS), 'http/protobuf',
    'OTLP transport: `http/protobuf`, `http/json` or `grpc`.'),
  OTEL_EXPORTER_OTLP_HEADERS: variable<Readonly<Record<string, string>> | undefined>(headerList(), undefined,
    'Headers on every OTLP export, `name1=value1,name2=value2` (values percent-encoded): a vendor\'s API key. A secret: never logged; give sm://PROJECT/SECRET#VERSION or OTEL_EXPORTER_OTLP_HEADERS_FILE.',
    { secret: true }),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: variable<Readonly<Record<string, string>> | undefined>(headerList(), undefined,
    'Headers on trace exports, added to `OTEL_EXPORTER_OTLP_HEADERS` (same name: this one wins). A secret, likewise.',
    { secret: true }),
  OTEL_TRACES_SAMPLER: variable(oneOf(TRACES_SAMPLERS), 'parentbased_traceidratio',
    'Sampler. The default follows the caller\'s sampled flag (Cloud Run\'s `traceparent`) and samples new traces by ratio.'),
  OTEL_TRACES_SAMPLER_ARG: variable(ratio(), 1,
    'Fraction of new traces the ratio samplers keep, 0 to 1.'),
  TRACE_IGNORED_PATHS: variable(list({ pattern: /^\/\S*$/, hint: 'paths starting with /' }), Object.freeze(['/health', '/ready']) as readonly string[],
    'Comma-separated request paths that are never traced (the probes).'),
} as const

export type Schema = typeof schema
export type ConfigValues = { [K in keyof Schema]: Schema[K]['default'] }

/** The variables marked secret above: censored in every log line, never echoed in a config error. */
export const SECRET_VARIABLES: ReadonlyArray<keyof Schema> = Object.freeze(
  (Object.keys(schema) as Array<keyof Schema>).filter((name) => 'secret' in schema[name]))
