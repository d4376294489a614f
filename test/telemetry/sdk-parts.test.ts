import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { createMetadataServer } from '../../src/gcp/metadata-server.ts'
import { createAccessTokenSource } from '../../src/gcp/access-token.ts'
import { createResource } from '../../src/telemetry/resource.ts'
import { createSampler } from '../../src/telemetry/sampler.ts'
import { createSpanExporter, exportHeaders, tracesEndpoint } from '../../src/telemetry/exporter.ts'
import { startHttpServer } from '../helpers/http.ts'

const noTokens = { token: async () => undefined }

describe('the sampler', () => {
  it.each([
    [{}, 'ParentBased{root=TraceIdRatioBased{1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}'],
    [{ OTEL_TRACES_SAMPLER_ARG: '0.1' }, 'ParentBased{root=TraceIdRatioBased{0.1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}'],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, 'AlwaysOffSampler'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, 'TraceIdRatioBased{0.5}'],
  ])('when configured with %j, then it is %s', (env, description) => {
    expect(createSampler(loadConfig(env)).toString()).toBe(description)
  })
})

describe('the exporter', () => {
  it.each([
    [{}, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }, 'http://127.0.0.1:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://telemetry.googleapis.com' }, 'https://telemetry.googleapis.com/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'http://127.0.0.1:4317'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' }, 'http://b:4318/traces'],
  ])('when the environment is %j, then spans go to %s', (env, url) => {
    expect(tracesEndpoint(loadConfig(env))).toBe(url)
  })

  it('when otlp is chosen without an endpoint, or none is chosen, then there is no exporter', async () => {
    await expect(createSpanExporter(loadConfig({}), noTokens)).resolves.toBeUndefined()
    await expect(createSpanExporter(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }), noTokens)).resolves.toBeUndefined()
  })
})

describe('the export headers', () => {
  const google = 'https://telemetry.googleapis.com/v1/traces'
  const tokens = { token: async () => 'service-account-token' }

  it('when the endpoint is Google\'s, then the service account\'s token is added to the configured headers', async () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'x-team=a', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=b' })
    expect(await exportHeaders(config, google, tokens)()).toStrictEqual({ 'x-team': 'b', authorization: 'Bearer service-account-token' })
    expect(await exportHeaders(config, google, noTokens)()).toStrictEqual({ 'x-team': 'b' })
  })

  it('when an authorization header is configured, then it is sent as it is, and no token is asked for', async () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20from-gcloud' })
    const refusing = { token: async () => { throw new Error('no token should be asked for') } }
    expect(await exportHeaders(config, google, refusing)()).toStrictEqual({ authorization: 'Bearer from-gcloud' })
  })

  it('when the endpoint is not Google\'s, then only the configured headers go, never the token', async () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=key' })
    expect(await exportHeaders(config, 'https://api.honeycomb.io/v1/traces', tokens)()).toStrictEqual({ 'x-honeycomb-team': 'key' })
  })
})

describe('the resource', () => {
  it('when running on Cloud Run, then it names the service, the platform and, from the metadata server, region and instance', async () => {
    const metadata = await startHttpServer((request, response) => {
      const answers: Record<string, string> = {
        '/computeMetadata/v1/instance/region': 'projects/42/regions/us-central1',
        '/computeMetadata/v1/instance/id': '1234567890',
        '/computeMetadata/v1/project/project-id': 'meta-project',
      }
      response.statusCode = answers[request.url ?? ''] === undefined ? 404 : 200
      response.end(answers[request.url ?? ''] ?? '')
    })
    const config = loadConfig({ K_SERVICE: 'hello', K_REVISION: 'hello-00002-abc', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` })
    const resource = createResource(config, createMetadataServer(config))
    await resource.waitForAsyncAttributes?.()
    expect(resource.attributes).toMatchObject({
      'service.name': 'hello',
      'service.version': '0.1.0',
      'cloud.provider': 'gcp',
      'cloud.platform': 'gcp_cloud_run',
      'cloud.region': 'us-central1',
      'faas.name': 'hello',
      'faas.version': 'hello-00002-abc',
      'faas.instance': '1234567890',
      'gcp.project_id': 'meta-project',
      'telemetry.sdk.language': 'nodejs',
    })
  })

  it('when run locally, then it claims no cloud and asks no metadata server', async () => {
    const config = loadConfig({})
    const resource = createResource(config, createMetadataServer(config))
    expect(resource.asyncAttributesPending).toBe(false)
    expect(Object.keys(resource.attributes).filter((key) => /^(cloud|faas|gcp)\./.test(key))).toStrictEqual([])
    expect(resource.attributes['service.name']).toBe('hello-cloud-run')
  })

  it('when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are set, then the spec\'s precedence applies', () => {
    const named = loadConfig({ K_SERVICE: 'hello', OTEL_SERVICE_NAME: 'from-otel', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes,team=payments' })
    expect(createResource(named, { enabled: false, get: async () => undefined, getFresh: async () => undefined }).attributes)
      .toMatchObject({ 'service.name': 'from-otel', team: 'payments' })
    const attributesOnly = loadConfig({ K_SERVICE: 'hello', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' })
    expect(createResource(attributesOnly, { enabled: false, get: async () => undefined, getFresh: async () => undefined }).attributes['service.name']).toBe('from-attributes')
  })
})

describe('the access token for Google\'s OTLP endpoint', () => {
  it('when asked repeatedly, then the metadata server is asked once until the token nears expiry', async () => {
    let issued = 0
    const metadata = await startHttpServer((request, response) => {
      issued++
      expect(request.url).toBe('/computeMetadata/v1/instance/service-accounts/default/token')
      response.end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 3599, token_type: 'Bearer' }))
    })
    let nowMs = 0
    const tokens = createAccessTokenSource(createMetadataServer(loadConfig({ GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` })), () => nowMs)
    expect(await Promise.all([tokens.token(), tokens.token()])).toStrictEqual(['token-1', 'token-1'])
    nowMs = 3_300_000 // 55 min later: inside the 5-minute refresh margin of a 3599 s token
    expect(await tokens.token()).toBe('token-2')
    expect(issued).toBe(2)
  })
})
