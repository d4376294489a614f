import { onTestFinished } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDependencies } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config/load-config.ts'
import { captureLogs, type CapturedLogs } from './capture-logs.ts'

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: CapturedLogs
}

/**
 * buildApp with an explicit environment and a logger the test can read.
 * The app is closed when the test finishes.
 */
export async function buildTestApp (
  env: Record<string, string> = {},
  deps: Partial<AppDependencies> = {}
): Promise<TestApp> {
  const config = loadConfig(env)
  const logs = captureLogs(config)
  const app = await buildApp(config, { logger: logs.logger, ...deps })
  onTestFinished(() => app.close())
  return { app, config, logs }
}
