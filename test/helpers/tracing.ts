import { context, propagation } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import type { FastifyPluginCallback } from 'fastify'
import { onTestFinished } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { createPropagator } from '../../src/telemetry/cloud-trace-propagator.ts'
import { createFastifyInstrumentation } from '../../src/telemetry/fastify-instrumentation.ts'
import { createSampler } from '../../src/telemetry/sampler.ts'

export interface TestTracing {
  /** Pass to buildTestApp as deps.fastifyOtel. */
  fastifyOtel: FastifyPluginCallback
  /** Spans finished so far, in the order they ended. */
  spans: () => ReadableSpan[]
}

let globalsRegistered = false

/**
 * The production tracing parts that work without patching Node's http
 * module: the propagator, the sampler and @fastify/otel, with spans kept in
 * memory. app.inject does not go through Node's http server, so here
 * @fastify/otel's request span is the server span; test/process/tracing.test.ts
 * covers the real process with instrumentation-http in front.
 */
export function useTestTracing (env: Record<string, string> = {}): TestTracing {
  if (!globalsRegistered) {
    // Process-wide in the API, as in production: set once per test worker.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    propagation.setGlobalPropagator(createPropagator())
    globalsRegistered = true
  }
  const config = loadConfig(env)
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ sampler: createSampler(config), spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const instrumentation = createFastifyInstrumentation(config)
  instrumentation.setTracerProvider(provider)
  onTestFinished(async () => {
    instrumentation.disable()
    await provider.shutdown()
  })
  return { fastifyOtel: instrumentation.plugin(), spans: () => exporter.getFinishedSpans() }
}
