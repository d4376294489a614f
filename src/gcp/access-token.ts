import type { MetadataServer } from './metadata-server.ts'
import { createTokenCache, type FetchedToken } from './token-cache.ts'

// An OAuth access token for the instance's service account, from the metadata
// server. On Cloud Run this is exactly what Application Default Credentials
// resolve to, without the weight of google-auth-library at start-up.
// https://cloud.google.com/run/docs/container-contract#metadata-server

const TOKEN_PATH = 'instance/service-accounts/default/token'

export interface AccessTokenSource {
  /** A valid token, or undefined when the metadata server cannot give one. */
  token: () => Promise<string | undefined>
}

/** Tokens live about an hour, and are cached until 5 minutes before they expire (token-cache.ts). */
export function createAccessTokenSource (metadata: MetadataServer, now: () => number = Date.now): AccessTokenSource {
  async function fetchToken (): Promise<FetchedToken<string | undefined>> {
    const failed = { value: undefined, expiresAtMs: undefined }
    const body = await metadata.getFresh(TOKEN_PATH)
    if (body === undefined) return failed
    try {
      const { access_token: value, expires_in: expiresInSeconds } = JSON.parse(body) as { access_token?: unknown, expires_in?: unknown }
      if (typeof value !== 'string' || typeof expiresInSeconds !== 'number') return failed
      return { value, expiresAtMs: now() + expiresInSeconds * 1_000 }
    } catch {
      return failed
    }
  }

  return { token: createTokenCache(fetchToken, { now }) }
}
