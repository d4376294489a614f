import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

// The exact security headers of every response (src/http/security-headers.ts):
// helmet's, with the policy the OWASP REST Security Cheat Sheet gives a JSON
// API. A change of helmet's defaults on upgrade shows up here.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
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

  it.each([
    ['an unknown route', 'GET', '/nope', 404],
    ['a wrong method', 'POST', '/health', 405],
    ['a body too large', 'POST', '/echo', 413],
    ['a bug', 'GET', '/bug', 500],
  ] as const)('when %s is answered, then the error says Cache-Control: no-store, so no cache keeps it', async (_name, method, url, status) => {
    const { app } = await buildTestApp({ BODY_LIMIT_BYTES: '8' }, {
      routes: [async (instance) => {
        instance.post('/echo', async (request) => request.body)
        instance.get('/bug', async () => (undefined as unknown as { x: string }).x)
      }],
    })
    const response = await app.inject({ method, url, payload: url === '/echo' ? { text: 'longer than eight bytes' } : undefined })
    expect(response.statusCode).toBe(status)
    expect(response.headers['cache-control']).toBe('no-store')
  })
})
