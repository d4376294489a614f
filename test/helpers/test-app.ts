import { onTestFinished } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDependencies } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config/load-config.ts'
import { createMetadataServer } from '../../src/gcp/metadata-server.ts'
import { createProjectIdResolver } from '../../src/gcp/project-id.ts'
import { captureLogs, type CapturedLogs } from './capture-logs.ts'

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: CapturedLogs
}

/**
 * buildApp with an explicit environment and a logger the test can read,
 * wired as server.ts wires them (the logger and the app share the project
 * resolver). The app is closed when the test finishes.
 */
export async function buildTestApp (
  env: Record<string, string> = {},
  deps: Partial<AppDependencies> = {}
): Promise<TestApp> {
  const config = loadConfig(env)
  const metadata = deps.metadata ?? createMetadataServer(config)
  const projectId = deps.projectId ?? createProjectIdResolver(config, metadata)
  const logs = captureLogs(config, { projectId })
  const app = await buildApp(config, { logger: logs.logger, metadata, projectId, ...deps })
  onTestFinished(() => app.close())
  return { app, config, logs }
}
