// The fields Cloud Logging reads to link a log line to its trace and span:
// https://cloud.google.com/logging/docs/structured-logging#structured_logging_special_fields
// (The request line writes the same fields by hand: request-line.ts.)

export interface SpanIdentity {
  /** 32 lowercase hex characters. */
  traceId: string
  /** 16 lowercase hex characters. */
  spanId: string
  sampled: boolean
}

/** The span's fields, and the trace's name once the project that owns it is known. */
export function traceLogFields (span: SpanIdentity, projectId: string | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    'logging.googleapis.com/spanId': span.spanId,
    'logging.googleapis.com/trace_sampled': span.sampled,
  }
  if (projectId !== undefined) {
    fields['logging.googleapis.com/trace'] = `projects/${projectId}/traces/${span.traceId}`
  }
  return fields
}
