// The cache in front of every token this service asks Google for (access
// tokens for the OTLP exporter, ID tokens for a private upstream): a token is
// reused until shortly before it expires, so none runs out on its way; callers
// that arrive while a fetch is under way share it, so a burst of requests on a
// cold instance asks the metadata server once; and a failed fetch is not
// cached, so the next call tries again.

/** What a fetch gave: the value, and when it stops working. */
export interface FetchedToken<T> {
  value: T
  /** Epoch milliseconds; undefined when unknown, and then the value is used once and never cached. */
  expiresAtMs: number | undefined
}

export interface TokenCacheOptions {
  /**
   * Fetch a new token this long before the cached one expires. 5 minutes is
   * google-auth-library's own eagerRefreshThresholdMillis.
   */
  refreshBeforeExpiryMs?: number
  now?: () => number
}

const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000

/** A function that gives the cached value while it is fresh, else fetches (once for all callers waiting). */
export function createTokenCache<T> (
  fetchToken: () => Promise<FetchedToken<T>>,
  { refreshBeforeExpiryMs = DEFAULT_REFRESH_BEFORE_EXPIRY_MS, now = Date.now }: TokenCacheOptions = {}
): () => Promise<T> {
  let cached: { value: T, refreshAtMs: number } | undefined
  let pending: Promise<T> | undefined

  async function fetchAndCache (): Promise<T> {
    try {
      const { value, expiresAtMs } = await fetchToken()
      cached = expiresAtMs === undefined ? undefined : { value, refreshAtMs: expiresAtMs - refreshBeforeExpiryMs }
      return value
    } finally {
      pending = undefined
    }
  }

  return () => {
    if (cached !== undefined && now() < cached.refreshAtMs) return Promise.resolve(cached.value)
    pending ??= fetchAndCache()
    return pending
  }
}
