// The one log line written for every request, serialised by hand. It is the
// hottest line the service writes, and pino's general path (the mixin,
// redaction paths, JSON of a nested object) cost more CPU per request than
// routing and answering it did (docs/benchmarks.md). The fields and their
// order are those of every other line (cloud-logging.ts), so Cloud Logging
// reads it the same way: `httpRequest` as a request log entry, the trace
// fields to link it to its trace.
// https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest

export interface RequestLine {
  severity: 'INFO' | 'ERROR'
  method: string
  /** The whole URL as the client asked for it, already cut to size (field-limit.ts). */
  requestUrl: string
  /** Path and query, cut to size, for the message. */
  target: string
  status: number
  latencyMs: number
  userAgent: string | undefined
  /** An IP address (client-address.ts checks it is one). */
  remoteIp: string | undefined
  /** "1.1": Node's parser only accepts digits here. */
  httpVersion: string
  responseSize: string | undefined
  /** The request's server span, when traced. */
  trace: { traceId: string, spanId: string, sampled: boolean } | undefined
  /** `"projects/ID/traces/"`, as a JSON string's opening, once the project is known. */
  traceNamePrefix: string | undefined
}

/** `"projects/my-project/traces/` with its opening quote: the JSON of the trace field up to the trace ID. */
export function traceNamePrefix (projectId: string): string {
  return JSON.stringify(`projects/${projectId}/traces/`).slice(0, -1)
}

/** One JSON line, newline included, with the same fields the logger would have written. */
export function formatRequestLine (line: RequestLine, timestamp: string): string {
  let json = `{"severity":"${line.severity}","timestamp":"${timestamp}"`
  if (line.trace !== undefined) {
    // Hex IDs: nothing to escape.
    json += `,"logging.googleapis.com/spanId":"${line.trace.spanId}","logging.googleapis.com/trace_sampled":${line.trace.sampled}`
    if (line.traceNamePrefix !== undefined) json += `,"logging.googleapis.com/trace":${line.traceNamePrefix}${line.trace.traceId}"`
  }
  json += `,"httpRequest":{"requestMethod":"${line.method}","requestUrl":${JSON.stringify(line.requestUrl)},"status":${line.status}` +
    `,"latency":"${(line.latencyMs / 1_000).toFixed(6)}s"`
  if (line.userAgent !== undefined) json += `,"userAgent":${JSON.stringify(line.userAgent)}`
  if (line.remoteIp !== undefined) json += `,"remoteIp":"${line.remoteIp}"`
  json += `,"protocol":"HTTP/${line.httpVersion}"`
  if (line.responseSize !== undefined) json += `,"responseSize":"${line.responseSize}"`
  return `${json}},"message":${JSON.stringify(`${line.method} ${line.target} ${line.status}`)}}\n`
}
