import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

// Security headers from helmet, computed once at boot rather than per request.
// @fastify/helmet calls helmet(options) on every request, which rebuilds all
// of its middlewares and the CSP string each time: on `npm run bench` that was
// about two thirds of the service's CPU per request and doubled its RSS under
// load (docs/benchmarks.md). Every value here is static (no CSP nonce or other
// per-request directive), so one run of helmet's middleware gives the headers
// for every response, including those written outside Fastify
// (src/http/error-response.ts). See helmetjs/helmet#430 for the same idea.

/**
 * This is an API, not a page, so the policy is the OWASP REST Security Cheat
 * Sheet's: the CSP forbids everything, and nothing may frame a response.
 * helmet's defaults for HTML pages (script-src, style-src and the rest) are
 * not merged in (useDefaults: false).
 */
const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  // Cloud Run serves only HTTPS on its URLs, so HSTS is safe to send.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
}

export type SecurityHeaders = Readonly<Record<string, string>>

/** Runs helmet's middleware once against a recording response and returns the headers it set. */
export function createSecurityHeaders (): SecurityHeaders {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string) { headers[name.toLowerCase()] = value },
    removeHeader () {}, // X-Powered-By, which Fastify never sets
  }
  let failure: unknown
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => { failure = error })
  if (failure !== undefined) throw failure
  return Object.freeze(headers)
}
