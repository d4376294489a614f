import type { Config } from '../config/load-config.ts'
import type { MetadataServer } from './metadata-server.ts'

export interface ProjectIdResolver {
  /** The project, once known; log lines read it synchronously. */
  readonly current: string | undefined
  /** True while the project is unknown and the metadata server could tell it. */
  readonly worthAsking: boolean
  /** Asks the metadata server if the project is not known yet; cached once answered. */
  resolve: () => Promise<string | undefined>
}

/** The project for log-trace correlation: GOOGLE_CLOUD_PROJECT, else lazily from the metadata server. */
export function createProjectIdResolver (config: Config, metadata: MetadataServer): ProjectIdResolver {
  let known = config.GOOGLE_CLOUD_PROJECT
  return {
    get current (): string | undefined { return known },
    get worthAsking (): boolean { return known === undefined && metadata.enabled },
    async resolve (): Promise<string | undefined> {
      known ??= await metadata.get('project/project-id')
      return known
    },
  }
}
