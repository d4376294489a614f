import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

const FIXED_NOW = new Date('2026-03-04T05:06:07.089Z')
const now = () => FIXED_NOW

describe('GET /', () => {
  it('when a client sends no Accept header, then it gets the tutorial greeting as plain text', async () => {
    const { app } = await buildTestApp({}, { now })
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(response.body).toBe(`Hello from Cloud Run! Host: ${hostname()}, Time: 2026-03-04 05:06:07\n`)
    expect(response.headers.vary).toBe('Accept')
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('when a client asks for JSON, then it gets the same facts as a JSON object', async () => {
    const { app } = await buildTestApp({ K_SERVICE: 'hello', K_REVISION: 'hello-00007-abc', GOOGLE_CLOUD_PROJECT: 'test-project' }, { now })
    const response = await app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toStrictEqual({
      message: 'Hello from Cloud Run!',
      host: hostname(),
      time: '2026-03-04T05:06:07.089Z',
      service: 'hello',
      revision: 'hello-00007-abc',
    })
  })

  it('when running locally, then service is the package name and revision is null', async () => {
    const { app } = await buildTestApp({}, { now })
    const response = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html, application/json;q=0.9' } })
    expect(response.json()).toMatchObject({ service: 'hello-cloud-run', revision: null })
  })

  it('when a client sends HEAD, then it gets the headers and no body', async () => {
    const { app } = await buildTestApp({}, { now })
    const response = await app.inject({ method: 'HEAD', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(response.body).toBe('')
  })

  it('when any route answers, then the security headers are set', async () => {
    const { app } = await buildTestApp({}, { now })
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
    expect(response.headers['content-security-policy']).toContain("default-src 'none'")
    expect(response.headers['x-powered-by']).toBeUndefined()
  })
})
