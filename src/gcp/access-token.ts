import type { MetadataServer } from './metadata-server.ts'

// An OAuth access token for the instance's service account, from the metadata
// server. On Cloud Run this is exactly what Application Default Credentials
// resolve to, without the weight of google-auth-library at start-up.
// https://cloud.google.com/run/docs/container-contract#metadata-server

const TOKEN_PATH = 'instance/service-accounts/default/token'
/** Refresh this long before expiry, so a token never expires in flight. Tokens live about an hour. */
const REFRESH_MARGIN_MS = 5 * 60_000

export interface AccessTokenSource {
  /** A valid token, or undefined when the metadata server cannot give one. */
  token: () => Promise<string | undefined>
}

export function createAccessTokenSource (metadata: MetadataServer, now: () => number = Date.now): AccessTokenSource {
  let cached: { value: string, refreshAtMs: number } | undefined
  let pending: Promise<string | undefined> | undefined

  async function fetchToken (): Promise<string | undefined> {
    const body = await metadata.getFresh(TOKEN_PATH)
    if (body === undefined) return undefined
    try {
      const { access_token: value, expires_in: expiresInSeconds } = JSON.parse(body) as { access_token?: unknown, expires_in?: unknown }
      if (typeof value !== 'string' || typeof expiresInSeconds !== 'number') return undefined
      cached = { value, refreshAtMs: now() + expiresInSeconds * 1_000 - REFRESH_MARGIN_MS }
      return value
    } catch {
      return undefined
    }
  }

  return {
    async token () {
      if (cached !== undefined && now() < cached.refreshAtMs) return cached.value
      // Concurrent exports share one request.
      pending ??= fetchToken().finally(() => { pending = undefined })
      return pending
    },
  }
}
