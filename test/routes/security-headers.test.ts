import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

// The exact headers @fastify/helmet sent before helmet's output was computed
// once at boot (src/plugins/external/helmet.ts); a change of helmet's defaults
// on upgrade shows up here.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}

describe('security headers', () => {
  it.each([
    ['the greeting', 'GET', '/'],
    ['a probe', 'GET', '/health'],
    ['an unknown route', 'GET', '/nope'],
    ['a wrong method', 'POST', '/health'],
  ] as const)('when %s answers, then it carries exactly helmet\'s headers', async (_name, method, url) => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method, url })
    const security = Object.fromEntries(Object.entries(response.headers).filter(([name]) => name in SECURITY_HEADERS))
    expect(security).toStrictEqual(SECURITY_HEADERS)
    expect(response.headers['x-powered-by']).toBeUndefined()
  })
})
