import { createTokenCache, type TokenCacheOptions } from '../gcp/token-cache.ts'

// Google ID tokens for service-to-service calls to a private Cloud Run
// upstream: the caller sends `Authorization: Bearer <token>` whose audience is
// the upstream's URL. https://cloud.google.com/run/docs/authenticating/service-to-service

/** Fetches a fresh ID token (a JWT) for the audience. */
export type IdTokenFetcher = (audience: string) => Promise<string>

export interface IdTokenSource {
  /** A token for the audience: the cached one while it is fresh, else a new one. */
  getToken: () => Promise<string>
}

export interface IdTokenSourceOptions extends TokenCacheOptions {
  audience: string
  fetchIdToken: IdTokenFetcher
}

/** The `exp` claim of a JWT in epoch milliseconds, or undefined when it has none. */
export function jwtExpiryMs (token: string): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }
    return typeof exp === 'number' ? exp * 1_000 : undefined
  } catch {
    return undefined
  }
}

/**
 * Caches the token until 5 minutes before its `exp` (src/gcp/token-cache.ts):
 * concurrent callers share one fetch, where google-auth-library's
 * IdTokenClient would ask once per caller. A token without `exp` is used once
 * and never cached: nothing says when it stops working.
 */
export function createIdTokenSource ({ audience, fetchIdToken, ...cacheOptions }: IdTokenSourceOptions): IdTokenSource {
  const getToken = createTokenCache(async () => {
    const token = await fetchIdToken(audience)
    return { value: token, expiresAtMs: jwtExpiryMs(token) }
  }, cacheOptions)
  return { getToken }
}

/**
 * Fetches ID tokens from the metadata server with google-auth-library.
 *
 * The library is imported here, not at the top of the module: it costs about
 * 90 ms of CPU to load (docs/outbound-calls.md), so only a service that sets
 * UPSTREAM_AUDIENCE pays for it, and pays at boot, before it listens, rather
 * than by stalling the event loop under its first requests.
 *
 * An exception to "only config reads the environment": google-auth-library
 * (through gcp-metadata) reads GCE_METADATA_HOST, and GCE_METADATA_IP before
 * it, from process.env itself on every request, and has no option to take
 * the host as an argument. Our config declares GCE_METADATA_HOST and reads it
 * from the same environment, so both agree. `Compute` is used directly,
 * rather than GoogleAuth, so that no credential discovery runs: no key file
 * lookup and no probe of 169.254.169.254 — the only request is for the token.
 */
export async function createMetadataIdTokenFetcher (): Promise<IdTokenFetcher> {
  const { Compute } = await import('./google-auth-compute.ts')
  const compute = new Compute()
  // The library puts the audience into the query string as it is; encoding
  // it keeps an audience with `&` or `#` in one piece.
  return (audience) => compute.fetchIdToken(encodeURIComponent(audience))
}
