import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'
import { startHttpServer } from '../helpers/http.ts'
import { createMetadataServer } from '../../src/gcp/metadata-server.ts'
import { loadConfig } from '../../src/config/load-config.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

function logLinesWithTrace (lines: Array<Record<string, unknown>>) {
  return lines.filter((line) => line['logging.googleapis.com/spanId'] !== undefined)
}

describe('log-trace correlation', () => {
  it('when a request carries a W3C traceparent, then every line logged for it names that trace and span', async () => {
    const { app, logs } = await buildTestApp({ GOOGLE_CLOUD_PROJECT: 'my-project' }, {
      routes: [async (instance) => {
        instance.get('/work', async (request) => { request.log.info('doing work'); return 'done' })
      }],
    })
    await app.inject({ method: 'GET', url: '/work', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } })
    const lines = logs.lines()
    expect(lines.map((line) => line.message)).toStrictEqual(['doing work', 'GET /work 200'])
    for (const line of lines) {
      expect(line).toMatchObject({
        'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
        'logging.googleapis.com/spanId': '00f067aa0ba902b7',
        'logging.googleapis.com/trace_sampled': true,
      })
    }
  })

  it('when a request carries X-Cloud-Trace-Context, then its decimal span ID is written as 16 hex digits', async () => {
    const { app, logs } = await buildTestApp({ GOOGLE_CLOUD_PROJECT: 'my-project' })
    // 12345678901234567890 = 0xab54a98ceb1f0ad2
    await app.inject({ method: 'GET', url: '/', headers: { 'x-cloud-trace-context': `${TRACE_ID.toUpperCase()}/12345678901234567890;o=0` } })
    expect(logLinesWithTrace(logs.lines())[0]).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/spanId': 'ab54a98ceb1f0ad2',
      'logging.googleapis.com/trace_sampled': false,
    })
  })

  it('when both headers are present, then traceparent wins', async () => {
    const { app, logs } = await buildTestApp({ GOOGLE_CLOUD_PROJECT: 'my-project' })
    await app.inject({
      method: 'GET',
      url: '/',
      headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00`, 'x-cloud-trace-context': `${'1'.repeat(32)}/1;o=1` },
    })
    expect(logLinesWithTrace(logs.lines())[0]).toMatchObject({ 'logging.googleapis.com/spanId': '00f067aa0ba902b7', 'logging.googleapis.com/trace_sampled': false })
  })

  it('when no project is configured on Cloud Run, then it is asked of the metadata server once and cached', async () => {
    const seen: Array<{ url: string | undefined, flavor: string | string[] | undefined }> = []
    const metadata = await startHttpServer((request, response) => {
      seen.push({ url: request.url, flavor: request.headers['metadata-flavor'] })
      response.setHeader('metadata-flavor', 'Google')
      response.end('project-from-metadata')
    })
    const { app, logs } = await buildTestApp({ K_SERVICE: 'hello', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` })
    for (let i = 0; i < 3; i++) {
      await app.inject({ method: 'GET', url: '/', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } })
    }
    expect(seen).toStrictEqual([{ url: '/computeMetadata/v1/project/project-id', flavor: 'Google' }])
    const traced = logLinesWithTrace(logs.lines())
    expect(traced).toHaveLength(3)
    for (const line of traced) expect(line['logging.googleapis.com/trace']).toBe(`projects/project-from-metadata/traces/${TRACE_ID}`)
  })

  it('when the service is not on Cloud Run and no metadata host is set, then the metadata server is never asked', async () => {
    const metadata = createMetadataServer(loadConfig({}))
    await expect(metadata.get('project/project-id')).resolves.toBeUndefined()
    const { app, logs } = await buildTestApp({})
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } })
    const [line] = logLinesWithTrace(logs.lines())
    expect(line?.['logging.googleapis.com/trace']).toBeUndefined()
    expect(line?.['logging.googleapis.com/spanId']).toBe('00f067aa0ba902b7')
  })

  it('when the metadata server is down, then requests are still served and a later request asks again', async () => {
    let calls = 0
    const metadata = await startHttpServer((_request, response) => {
      calls++
      response.statusCode = calls === 1 ? 503 : 200
      response.end(calls === 1 ? 'unavailable' : 'second-try-project')
    })
    const { app, logs } = await buildTestApp({ K_SERVICE: 'hello', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` })
    const first = await app.inject({ method: 'GET', url: '/', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } })
    expect(first.statusCode).toBe(200)
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } })
    const traces = logLinesWithTrace(logs.lines()).map((line) => line['logging.googleapis.com/trace'])
    expect(traces).toStrictEqual([undefined, `projects/second-try-project/traces/${TRACE_ID}`])
  })
})
