import { boolean, httpUrl, integer, keyValueList, list, oneOf, ratio, text, type Parser } from './parsers.ts'

// Every environment variable the service reads, in one place: its parser, its
// default (undefined means "optional, no default") and one line of doc. The
// README's table is checked against this list by test/unit/readme.test.ts.

interface Variable<T> {
  parse: Parser<T>
  default: T
  doc: string
}

function variable<T> (parse: Parser<T>, defaultValue: T, doc: string): Variable<T> {
  return { parse, default: defaultValue, doc }
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const
export const TRACES_SAMPLERS = [
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
  LOG_LEVEL: variable(oneOf(LOG_LEVELS), 'info',
    'Lowest level written: trace, debug, info, warn, error, fatal or silent.'),
  LOG_REQUESTS: variable(boolean(), true,
    'Write one Cloud Logging httpRequest line per request.'),
  LOG_PRETTY: variable(boolean(), false,
    'Human-readable logs instead of JSON. `npm run dev` turns it on; never in production.'),
  DRAIN_TIMEOUT_MS: variable(integer({ min: 0, max: 9_500 }), 8_000,
    'How long SIGTERM waits for in-flight requests. Cloud Run sends SIGKILL 10 s after SIGTERM.'),
  TRUST_PROXY_HOPS: variable(integer({ min: 0, max: 10 }), 1,
    'Proxies in front of the service whose X-Forwarded-For entries are trusted. 1 = Google\'s front end.'),
  BODY_LIMIT_BYTES: variable(integer({ min: 0, max: 32 * 1024 * 1024 }), 64 * 1024,
    'Largest request body accepted; larger ones get 413.'),
  // OpenTelemetry's standard variables, with the meaning the spec gives them:
  // https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
  OTEL_SDK_DISABLED: variable(boolean(), false,
    'Turns tracing off: no SDK is loaded, no spans, no propagation, and log lines carry no trace fields.'),
  OTEL_SERVICE_NAME: variable<string | undefined>(text(), undefined,
    'service.name on spans. Unset: service.name in OTEL_RESOURCE_ATTRIBUTES, else K_SERVICE, else the package name.'),
  OTEL_RESOURCE_ATTRIBUTES: variable<Readonly<Record<string, string>> | undefined>(keyValueList(), undefined,
    'Extra resource attributes, key1=value1,key2=value2 (values percent-encoded).'),
  OTEL_TRACES_EXPORTER: variable(oneOf(TRACES_EXPORTERS), 'otlp',
    'otlp, console or none. otlp exports only when an endpoint is set; with none, spans still drive log correlation.'),
  OTEL_EXPORTER_OTLP_ENDPOINT: variable<string | undefined>(httpUrl(), undefined,
    'OTLP base URL; /v1/traces is appended over HTTP. Unset, with no traces endpoint either: nothing is exported.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable<string | undefined>(httpUrl(), undefined,
    'OTLP URL for traces, used as is. Wins over OTEL_EXPORTER_OTLP_ENDPOINT.'),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable(oneOf(OTLP_PROTOCOLS), 'http/protobuf',
    'OTLP transport: http/protobuf, http/json or grpc.'),
  OTEL_TRACES_SAMPLER: variable(oneOf(TRACES_SAMPLERS), 'parentbased_traceidratio',
    'Sampler. The default follows the caller\'s sampled flag (Cloud Run\'s traceparent) and samples new traces by ratio.'),
  OTEL_TRACES_SAMPLER_ARG: variable(ratio(), 1,
    'Fraction of new traces the ratio samplers keep, 0 to 1.'),
  TRACE_IGNORED_PATHS: variable(list({ pattern: /^\/\S*$/, hint: 'paths starting with /' }), Object.freeze(['/health', '/ready']) as readonly string[],
    'Comma-separated request paths that are never traced (the probes).'),
} as const

export type Schema = typeof schema
export type ConfigValues = { [K in keyof Schema]: Schema[K]['default'] }
