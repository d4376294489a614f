import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api'
import { pino, stdSerializers, type Logger, type LoggerOptions, type DestinationStream } from 'pino'
import type { Config } from '../config/load-config.ts'
import { SECRET_VARIABLES } from '../config/schema.ts'
import { CENSORED, createCensor } from './censor.ts'
import { ServiceError } from '../errors/service-error.ts'
import { capLoggedField } from './field-limit.ts'
import { traceLogFields } from './trace-fields.ts'

// Cloud Logging reads these special fields from each JSON line on stdout:
// https://cloud.google.com/logging/docs/structured-logging
//
// Why not @google-cloud/pino-logging-gcp-config? Measured on this machine with
// Node 24.21 (docs/adr/0003-own-cloud-logging-formatter.md): importing it took ~210 ms and
// creating its config another ~160 ms, and it queried the metadata server at
// start, against ~18 ms for pino alone. The part we need is these few lines.

const SEVERITY_BY_LEVEL: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
}

/** Headers that carry credentials, as Node names them (lower case). */
const REDACTED_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'] as const

// pino's redaction takes paths, not "any depth": a `headers` object at the
// top of a line, or one level down under any key (req, res, an upstream's
// name). Secret values are caught at any depth by the censor (censor.ts).
const REDACTED_PATHS = [
  ...['headers', '*.headers'].flatMap((prefix) => REDACTED_HEADERS.map((header) => `${prefix}["${header}"]`)),
  // A config object, or a part of it, logged by mistake.
  ...SECRET_VARIABLES.flatMap((name) => [name, `*.${name}`]),
]

const ERROR_LEVEL = 50

/**
 * An expected failure (a ServiceError: an upstream down, a config problem)
 * is logged by its code, message, details and cause, without stacks: they
 * would only name this service's own files, on every failed request. Any
 * other error keeps its stack, for Error Reporting.
 */
function serializeError (error: unknown): unknown {
  if (!(error instanceof ServiceError)) return stdSerializers.err(error as Error)
  const cause = error.cause as { name?: unknown, code?: unknown, message?: unknown } | undefined
  return {
    type: error.name,
    code: error.code,
    message: error.message,
    details: error.details,
    cause: cause === undefined ? undefined : { type: cause.name, code: cause.code, message: capLoggedField(String(cause.message)) },
  }
}

export interface TraceCorrelation {
  /** The project that owns the traces; the trace field is written only once it is known. */
  readonly projectId: { readonly current: string | undefined }
}

/**
 * The trace fields for the span active where the line is written: the
 * request's server span (src/plugins/external/tracing.ts) or any span made
 * under it. Every line but the request line gets its trace fields here; the
 * request line takes them from the server span itself (request-line.ts).
 * With OTEL_SDK_DISABLED there is no active span, and so none.
 */
function activeSpanFields (correlation: TraceCorrelation | undefined): Record<string, unknown> | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext()
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined
  return traceLogFields({
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  }, correlation?.projectId.current)
}

export interface LoggerInputs {
  /** Where the trace field's project comes from; without it, lines carry span fields but no trace field. */
  correlation?: TraceCorrelation
  /** Secret values read at boot; censored wherever they appear in a line (censor.ts). */
  secretValues?: Iterable<string>
}

function cloudLoggingOptions (config: Config, correlation: TraceCorrelation | undefined, censor: ((line: string) => string) | undefined): LoggerOptions {
  const serviceContext = { service: config.serviceName, version: config.serviceVersion }
  return {
    level: config.LOG_LEVEL,
    messageKey: 'message',
    // Cloud Run already labels every entry with its instance; pid and hostname add bytes, not information.
    base: undefined,
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ severity: SEVERITY_BY_LEVEL[label] ?? 'DEFAULT' }),
    },
    // Error Reporting groups an entry by its stack_trace and serviceContext:
    // https://cloud.google.com/error-reporting/docs/formatting-error-messages
    mixin (mergeObject, level) {
      const traceFields = activeSpanFields(correlation)
      const err = (mergeObject as { err?: unknown }).err
      if (level < ERROR_LEVEL || !(err instanceof Error)) return traceFields ?? {}
      return { ...traceFields, serviceContext, stack_trace: err.stack ?? String(err) }
    },
    serializers: { err: serializeError },
    redact: { paths: REDACTED_PATHS, censor: CENSORED },
    ...(censor === undefined ? {} : { hooks: { streamWrite: censor } }),
  }
}

/** The WARNING a StdoutSink writes after it had to drop lines (src/logging/stdout-sink.ts). */
export function formatDropNotice (droppedLines: number): string {
  return `${JSON.stringify({
    severity: 'WARNING',
    timestamp: new Date().toISOString(),
    event: 'log_lines_dropped',
    droppedLines,
    message: `Dropped ${droppedLines} log lines: stdout was not read fast enough to take them`,
  })}\n`
}

/**
 * The process's one logger. JSON lines to `destination` (the process's
 * StdoutSink) for Cloud Logging; pino-pretty only when LOG_PRETTY asks for it
 * (`npm run dev`), since pretty printing runs in a worker thread and has no
 * place in production.
 */
export function createLogger (config: Config, { destination, correlation, secretValues = [] }: LoggerInputs & { destination: DestinationStream }): Logger {
  const censor = createCensor(secretValues)
  const options = cloudLoggingOptions(config, correlation, censor)
  if (config.LOG_PRETTY) {
    return pino({
      ...options,
      formatters: {},
      timestamp: pino.stdTimeFunctions.isoTime,
      transport: { target: 'pino-pretty', options: { messageKey: 'message', translateTime: 'SYS:HH:MM:ss.l' } },
    })
  }
  const logger = pino(options, destination)
  lineWriters.set(logger, censor === undefined ? (line) => destination.write(line) : (line) => destination.write(censor(line)))
  return logger
}

/** For each JSON logger: writes a line serialised elsewhere to its destination, censored like the logger's own lines. */
const lineWriters = new WeakMap<object, (line: string) => void>()

/**
 * How a line serialised by hand (the request line, request-line.ts) reaches
 * the logger's destination, in order with its other lines and censored the
 * same way. Undefined for a pretty-printing logger, which has no JSON
 * destination; callers then log through the logger itself. Fastify's
 * app.log and pino's child loggers are built on the logger by prototype, so
 * the chain is followed up to it.
 */
export function lineWriterOf (logger: object): ((line: string) => void) | undefined {
  for (let current: object | null = logger; current !== null; current = Object.getPrototypeOf(current) as object | null) {
    const writer = lineWriters.get(current)
    if (writer !== undefined) return writer
  }
  return undefined
}
