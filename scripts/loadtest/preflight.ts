import { UsageError } from './options.ts'

export interface FirstResponse {
  status: number
  latencyMs: number
}

/**
 * One request before the load, so that an unreachable target fails with one
 * clear message instead of a table full of connection errors. Its latency may
 * include a cold start; it is reported and not counted.
 */
export async function sendFirstRequest (url: URL, headers: Record<string, string>, timeoutSeconds: number): Promise<FirstResponse> {
  const startedAt = performance.now()
  try {
    const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutSeconds * 1000) })
    await response.arrayBuffer()
    return { status: response.status, latencyMs: Math.round(performance.now() - startedAt) }
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError'
      ? `no response within ${timeoutSeconds} s`
      : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message)
    throw new UsageError(`cannot reach ${url.href}: ${reason}`)
  }
}
