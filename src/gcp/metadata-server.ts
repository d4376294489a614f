import type { Config } from '../config/load-config.ts'

// The GCE/Cloud Run metadata server, asked only for small facts (project,
// region, instance). It answers in about a millisecond on Cloud Run and not at
// all elsewhere, so every lookup is lazy, cached, bounded by a timeout, and
// never throws: callers get undefined and carry on.
// https://cloud.google.com/run/docs/container-contract#metadata-server

export interface MetadataServer {
  /** False off Google Cloud: every lookup then answers undefined at once. */
  readonly enabled: boolean
  /** The value at `computeMetadata/v1/<path>`, or undefined when unavailable. */
  get: (path: string) => Promise<string | undefined>
  /** The same, asked every time: for values that expire, such as access tokens. */
  getFresh: (path: string) => Promise<string | undefined>
}

const LOOKUP_TIMEOUT_MS = 1_000
const DEFAULT_HOST = 'metadata.google.internal'

/** host[:port] of the metadata server this config points at. */
export function metadataHost (config: Pick<Config, 'GCE_METADATA_HOST'>): string {
  return config.GCE_METADATA_HOST ?? DEFAULT_HOST
}

export function createMetadataServer (config: Config): MetadataServer {
  // Outside Google Cloud the default host does not resolve, and a lookup
  // would cost a DNS round trip for nothing. Ask only on Cloud Run, or when a
  // test or an unusual platform names the host explicitly.
  const enabled = config.K_SERVICE !== undefined || config.GCE_METADATA_HOST !== undefined
  const host = metadataHost(config)
  const cache = new Map<string, Promise<string | undefined>>()
  async function fetchValue (path: string): Promise<string | undefined> {
    try {
      const response = await fetch(`http://${host}/computeMetadata/v1/${path}`, {
        headers: { 'Metadata-Flavor': 'Google' },
        signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
      })
      if (!response.ok) return undefined
      const value = (await response.text()).trim()
      return value === '' ? undefined : value
    } catch {
      return undefined
    }
  }
  return {
    enabled,
    get (path) {
      if (!enabled) return Promise.resolve(undefined)
      let pending = cache.get(path)
      if (pending === undefined) {
        pending = fetchValue(path)
        cache.set(path, pending)
        // Remember answers, not failures: a later call may find the server up.
        pending.then((value) => { if (value === undefined) cache.delete(path) }, () => {})
      }
      return pending
    },
    getFresh (path) {
      return enabled ? fetchValue(path) : Promise.resolve(undefined)
    },
  }
}
