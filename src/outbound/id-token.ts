// Google ID tokens for service-to-service calls to a private Cloud Run
// upstream: the caller sends `Authorization: Bearer <token>` whose audience is
// the upstream's URL. https://cloud.google.com/run/docs/authenticating/service-to-service

/** Fetches a fresh ID token (a JWT) for the audience. */
export type IdTokenFetcher = (audience: string) => Promise<string>

export interface IdTokenSource {
  /** A token for the audience: the cached one while it is fresh, else a new one. */
  getToken: () => Promise<string>
}

export interface IdTokenSourceOptions {
  audience: string
  fetchIdToken: IdTokenFetcher
  /**
   * Fetch a new token this long before the cached one expires, so a token
   * never runs out on its way to the upstream. 5 minutes is
   * google-auth-library's own eagerRefreshThresholdMillis.
   */
  refreshBeforeExpiryMs?: number
  now?: () => number
}

const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000

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
 * Caches the token until shortly before it expires. Concurrent callers
 * share one fetch, so a burst of requests on a cold instance asks the
 * metadata server once (google-auth-library's IdTokenClient would ask once
 * per caller). A failed fetch is not cached: the next call tries again.
 */
export function createIdTokenSource ({
  audience,
  fetchIdToken,
  refreshBeforeExpiryMs = DEFAULT_REFRESH_BEFORE_EXPIRY_MS,
  now = Date.now,
}: IdTokenSourceOptions): IdTokenSource {
  let cached: { token: string, refreshAtMs: number } | undefined
  let pending: Promise<string> | undefined

  async function fetchAndCache (): Promise<string> {
    try {
      const token = await fetchIdToken(audience)
      const expiryMs = jwtExpiryMs(token)
      // A token without `exp` is used once and never cached: we cannot tell when it stops working.
      cached = expiryMs === undefined ? undefined : { token, refreshAtMs: expiryMs - refreshBeforeExpiryMs }
      return token
    } finally {
      pending = undefined
    }
  }

  return {
    getToken () {
      if (cached !== undefined && now() < cached.refreshAtMs) return Promise.resolve(cached.token)
      pending ??= fetchAndCache()
      return pending
    },
  }
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
