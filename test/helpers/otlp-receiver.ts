import type { IncomingHttpHeaders } from 'node:http'
import { startHttpServer } from './http.ts'

// A real OTLP/HTTP receiver on loopback, for spans a spawned server exports
// with OTEL_EXPORTER_OTLP_PROTOCOL=http/json (the JSON mapping of OTLP:
// https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).

type AnyValue = { stringValue?: string, intValue?: string | number, boolValue?: boolean, doubleValue?: number }
type KeyValue = { key: string, value: AnyValue }

export interface ExportedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  status?: { code?: number, message?: string }
  attributes: Record<string, unknown>
  resource: Record<string, unknown>
}

export interface OtlpRequest {
  path: string | undefined
  contentType: string | undefined
  headers: IncomingHttpHeaders
  body: Buffer
  receivedAtMs: number
}

function flatten (attributes: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) =>
    [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))]))
}

export async function startOtlpReceiver () {
  const requests: OtlpRequest[] = []
  const { url } = await startHttpServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests.push({ path: request.url, contentType: request.headers['content-type'], headers: request.headers, body: Buffer.concat(chunks), receivedAtMs: performance.now() })
      response.setHeader('content-type', 'application/json')
      response.end('{}')
    })
  })
  return {
    url,
    requests,
    /** Every span in every JSON export so far, with its resource's attributes. */
    spans (): ExportedSpan[] {
      return requests.filter((r) => r.contentType === 'application/json').flatMap((r) => {
        const payload = JSON.parse(r.body.toString()) as {
          resourceSpans: Array<{ resource: { attributes: KeyValue[] }, scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'attributes' | 'resource'> & { attributes: KeyValue[] }> }> }>
        }
        return payload.resourceSpans.flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scope) => scope.spans.map((span) => ({
          ...span,
          attributes: flatten(span.attributes),
          resource: flatten(resourceSpans.resource.attributes),
        }))))
      })
    },
  }
}
