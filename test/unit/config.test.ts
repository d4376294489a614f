import { describe, expect, it } from 'vitest'
import { loadConfig, secretValuesOf } from '../../src/config/load-config.ts'
import { ServiceError } from '../../src/errors/service-error.ts'

function configError (env: Record<string, string>, secretVariables: string[] = []): ServiceError {
  try {
    loadConfig(env, { secretVariables })
  } catch (error) {
    if (error instanceof ServiceError) return error
    throw error
  }
  throw new Error('expected loadConfig to throw')
}

describe('loadConfig', () => {
  it('when the environment is empty, then every default applies', () => {
    expect(loadConfig({})).toStrictEqual({
      PORT: 8080,
      HOST: '0.0.0.0',
      K_SERVICE: undefined,
      K_REVISION: undefined,
      K_CONFIGURATION: undefined,
      GOOGLE_CLOUD_PROJECT: undefined,
      GCE_METADATA_HOST: undefined,
      SECRET_MANAGER_EMULATOR_HOST: undefined,
      LOG_LEVEL: 'info',
      LOG_REQUESTS: false,
      LOG_PRETTY: false,
      DRAIN_TIMEOUT_MS: 8000,
      TRUST_PROXY_HOPS: 1,
      BODY_LIMIT_BYTES: 65536,
      SHED_EVENT_LOOP_DELAY_MS: 1000,
      UPSTREAM_URL: undefined,
      UPSTREAM_TIMEOUT_MS: 2000,
      UPSTREAM_RETRIES: 2,
      UPSTREAM_DEADLINE_MS: 5000,
      UPSTREAM_MAX_CONCURRENCY: 80,
      UPSTREAM_AUDIENCE: undefined,
      UPSTREAM_API_KEY: undefined,
      BREAKER_ERROR_THRESHOLD_PERCENTAGE: 50,
      BREAKER_VOLUME_THRESHOLD: 10,
      BREAKER_RESET_TIMEOUT_MS: 10000,
      OTEL_SDK_DISABLED: false,
      OTEL_SERVICE_NAME: undefined,
      OTEL_RESOURCE_ATTRIBUTES: undefined,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: undefined,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: undefined,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 1,
      TRACE_IGNORED_PATHS: ['/health', '/ready'],
      serviceName: 'hello-cloud-run',
      serviceVersion: '0.1.0',
    })
  })

  it('when Cloud Run sets its variables, then they are read and name the service', () => {
    const config = loadConfig({ PORT: '9090', K_SERVICE: 'hello', K_REVISION: 'hello-00001-abc', K_CONFIGURATION: 'hello' })
    expect(config).toMatchObject({ PORT: 9090, K_CONFIGURATION: 'hello', serviceName: 'hello', serviceVersion: 'hello-00001-abc' })
  })

  it('when PORT is not a number, then the error names the variable and the reason', () => {
    const error = configError({ PORT: 'abc' })
    expect(error.code).toBe('SVC_CONFIG_INVALID')
    expect(error.message).toBe('Invalid configuration: PORT must be a whole number, got "abc"')
    expect(error.details).toStrictEqual({ problems: [{ variable: 'PORT', reason: 'must be a whole number, got "abc"' }] })
  })

  it('when several variables are wrong, then all of them are reported at once', () => {
    const error = configError({ PORT: '70000', LOG_LEVEL: 'loud', LOG_REQUESTS: 'maybe', DRAIN_TIMEOUT_MS: '15000' })
    expect(error.details?.problems).toStrictEqual([
      { variable: 'PORT', reason: 'must be between 0 and 65535, got 70000' },
      { variable: 'LOG_LEVEL', reason: 'must be one of trace, debug, info, warn, error, fatal, silent, got "loud"' },
      { variable: 'LOG_REQUESTS', reason: 'must be true or false, got "maybe"' },
      { variable: 'DRAIN_TIMEOUT_MS', reason: 'must be between 0 and 9500, got 15000' },
    ])
  })

  it('when a variable\'s value came from a secret and is invalid, then the error says why without the value', () => {
    const error = configError({ LOG_LEVEL: 'hunter2-secret', PORT: 'abc' }, ['LOG_LEVEL'])
    expect(error.details?.problems).toStrictEqual([
      { variable: 'PORT', reason: 'must be a whole number, got "abc"' },
      { variable: 'LOG_LEVEL', reason: 'must be one of trace, debug, info, warn, error, fatal, silent (the value is a secret, so it is not shown)' },
    ])
    expect(error.message).not.toContain('hunter2-secret')
  })

  it('when UPSTREAM_API_KEY is set, then it is in the typed config and among the values the logger censors', () => {
    const config = loadConfig({ UPSTREAM_API_KEY: 'key-from-env-1' })
    expect(config.UPSTREAM_API_KEY).toBe('key-from-env-1')
    expect(secretValuesOf(config)).toStrictEqual(['key-from-env-1'])
    expect(secretValuesOf(loadConfig({}))).toStrictEqual([])
  })

  it('when SECRET_MANAGER_EMULATOR_HOST is not host:port, then it is a config error', () => {
    expect(configError({ SECRET_MANAGER_EMULATOR_HOST: 'localhost' }).details?.problems).toStrictEqual([
      { variable: 'SECRET_MANAGER_EMULATOR_HOST', reason: 'must be host:port, got "localhost"' },
    ])
  })

  it('when UPSTREAM_URL is not an absolute http(s) URL, then the error says so', () => {
    expect(configError({ UPSTREAM_URL: 'orders.internal/api' }).details?.problems).toStrictEqual([
      { variable: 'UPSTREAM_URL', reason: 'must be an absolute URL, got "orders.internal/api"' },
    ])
    expect(configError({ UPSTREAM_URL: 'ftp://orders.internal/' }).details?.problems).toStrictEqual([
      { variable: 'UPSTREAM_URL', reason: 'must use http: or https:, got "ftp:"' },
    ])
    expect(loadConfig({ UPSTREAM_URL: 'https://orders-abc-uc.a.run.app/v1/items' }).UPSTREAM_URL).toBe('https://orders-abc-uc.a.run.app/v1/items')
  })

  it('when the OpenTelemetry variables are set, then they are read as the spec defines them', () => {
    expect(loadConfig({
      OTEL_SDK_DISABLED: 'true',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, team=a%20b%2Cc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://telemetry.googleapis.com',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      TRACE_IGNORED_PATHS: '/health, /internal/stats',
    })).toMatchObject({
      OTEL_SDK_DISABLED: true,
      OTEL_RESOURCE_ATTRIBUTES: { 'deployment.environment': 'prod', team: 'a b,c' },
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://telemetry.googleapis.com',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
      TRACE_IGNORED_PATHS: ['/health', '/internal/stats'],
    })
  })

  it('when OpenTelemetry variables are wrong, then each is named with the reason', () => {
    const error = configError({
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_RESOURCE_ATTRIBUTES: 'novalue',
      TRACE_IGNORED_PATHS: 'health',
    })
    expect(error.details?.problems).toStrictEqual([
      { variable: 'OTEL_RESOURCE_ATTRIBUTES', reason: 'must be key=value pairs separated by commas, got "novalue"' },
      { variable: 'OTEL_TRACES_EXPORTER', reason: 'must be one of otlp, console, none, got "jaeger"' },
      { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', reason: 'must use http: or https:, got "localhost:"' },
      { variable: 'OTEL_EXPORTER_OTLP_PROTOCOL', reason: 'must be one of http/protobuf, http/json, grpc, got "http"' },
      { variable: 'OTEL_TRACES_SAMPLER_ARG', reason: 'must be a number between 0 and 1, got "1.5"' },
      { variable: 'TRACE_IGNORED_PATHS', reason: 'must be a comma-separated list of paths starting with /, got "health"' },
    ])
  })

  it('when OTLP headers are set, then they are read as the spec defines them, and their values are among those the logger censors', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20token-1234567, x-tenant=acme',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=abc%3D%3D',
    })
    expect(config.OTEL_EXPORTER_OTLP_HEADERS).toStrictEqual({ authorization: 'Bearer token-1234567', 'x-tenant': 'acme' })
    expect(config.OTEL_EXPORTER_OTLP_TRACES_HEADERS).toStrictEqual({ 'x-api-key': 'abc==' })
    expect(secretValuesOf(config)).toStrictEqual(['Bearer token-1234567', 'acme', 'abc=='])
  })

  it('when OTLP headers are malformed, then the error names the variable and the header, never the value', () => {
    const error = configError({
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%0Asecret-token-1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'secret-token-2',
    })
    expect(error.details?.problems).toStrictEqual([
      {
        variable: 'OTEL_EXPORTER_OTLP_HEADERS',
        reason: 'has a value for authorization that is not a valid HTTP header value: printable characters, no line breaks, no spaces at either end (the value is a secret, so it is not shown)',
      },
      { variable: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', reason: 'must be key=value pairs separated by commas (the value is a secret, so it is not shown)' },
    ])
    expect(error.message).not.toMatch(/secret-token/)
    expect(configError({ OTEL_EXPORTER_OTLP_HEADERS: 'bad name=1' }).details?.problems).toStrictEqual([
      { variable: 'OTEL_EXPORTER_OTLP_HEADERS', reason: 'has an invalid header name "bad name" (the value is a secret, so it is not shown)' },
    ])
  })

  it('when the config is loaded, then it cannot be changed afterwards', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
  })
})
