import { context, propagation } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { onTestFinished } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { createPropagator } from '../../src/telemetry/cloud-trace-propagator.ts'
import { createSampler } from '../../src/telemetry/sampler.ts'
import type { SpanStarter } from '../../src/telemetry/unrecorded-tracer.ts'

export interface TestTracing {
  /** Pass to buildTestApp as deps.serverSpans. */
  serverSpans: SpanStarter
  /** Spans finished so far, in the order they ended. */
  spans: () => ReadableSpan[]
}

let globalsRegistered = false

/**
 * The production tracing parts, with an exporter that keeps spans in
 * memory: the propagator, the sampler and a recording tracer, as
 * src/telemetry/tracing-sdk.ts assembles them when spans are exported.
 * test/process/tracing.test.ts covers the real process and a real collector.
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
  onTestFinished(() => provider.shutdown())
  return { serverSpans: provider.getTracer('test'), spans: () => exporter.getFinishedSpans() }
}
