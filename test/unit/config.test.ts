import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { ServiceError } from '../../src/errors/service-error.ts'

function configError (env: Record<string, string>): ServiceError {
  try {
    loadConfig(env)
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
      LOG_LEVEL: 'info',
      LOG_REQUESTS: true,
      LOG_PRETTY: false,
      DRAIN_TIMEOUT_MS: 8000,
      TRUST_PROXY_HOPS: 1,
      BODY_LIMIT_BYTES: 65536,
      OTEL_SDK_DISABLED: false,
      OTEL_SERVICE_NAME: undefined,
      OTEL_RESOURCE_ATTRIBUTES: undefined,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
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
      { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', reason: 'must be an http:// or https:// URL, got "localhost:4318"' },
      { variable: 'OTEL_EXPORTER_OTLP_PROTOCOL', reason: 'must be one of http/protobuf, http/json, grpc, got "http"' },
      { variable: 'OTEL_TRACES_SAMPLER_ARG', reason: 'must be a number between 0 and 1, got "1.5"' },
      { variable: 'TRACE_IGNORED_PATHS', reason: 'must be a comma-separated list of paths starting with /, got "health"' },
    ])
  })

  it('when the config is loaded, then it cannot be changed afterwards', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
  })
})
