import type { AppDependencies } from '../../src/app.ts'
import { buildTestApp, type TestApp } from './test-app.ts'

/** @fastify/under-pressure's sample interval (its default, which our plugin keeps). */
const PRESSURE_SAMPLE_INTERVAL_MS = 1_000

let warmedUp = false

/**
 * buildTestApp, then wait until the app is not shedding load. The first app
 * with an upstream in a test worker imports undici (and google-auth-library
 * with an audience) in one synchronous stretch; on a machine busy with other
 * jobs that stretch can outlast @fastify/under-pressure's 1 s sample, which
 * it then reads as an infinite event-loop delay and answers 503
 * SVC_OVERLOADED for the next second. That is the load shedding doing its
 * job, not what these tests are about, so the first test in a worker starts
 * after a fresh sample, and every test once the app is not under pressure.
 */
export async function buildUpstreamTestApp (env: Record<string, string> = {}, deps: Partial<AppDependencies> = {}): Promise<TestApp> {
  const testApp = await buildTestApp(env, deps)
  if (!warmedUp) {
    warmedUp = true
    await new Promise((resolve) => setTimeout(resolve, PRESSURE_SAMPLE_INTERVAL_MS + 100))
  }
  const deadline = Date.now() + 10_000
  while (testApp.app.isUnderPressure()) {
    if (Date.now() > deadline) throw new Error('the test app stayed under pressure for 10 s: the machine is too busy for these tests')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return testApp
}
