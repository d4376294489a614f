import { describe, expect, it } from 'vitest'
import { createIdTokenSource, jwtExpiryMs } from '../../src/outbound/id-token.ts'

function jwt (claims: Record<string, unknown>): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
}

describe('the ID token cache', () => {
  it('when a token has an exp claim, then its expiry is read in milliseconds; without one, there is none', () => {
    expect(jwtExpiryMs(jwt({ exp: 1_800_000_000 }))).toBe(1_800_000_000_000)
    expect(jwtExpiryMs(jwt({ aud: 'x' }))).toBeUndefined()
    expect(jwtExpiryMs('not-a-jwt')).toBeUndefined()
    expect(jwtExpiryMs('a.!!!.c')).toBeUndefined()
  })

  it('when the clock passes expiry minus the refresh margin, then the next call fetches a new token, and not before', async () => {
    let nowMs = 1_000_000
    const fetched: string[] = []
    const source = createIdTokenSource({
      audience: 'https://a.example',
      refreshBeforeExpiryMs: 60_000,
      now: () => nowMs,
      fetchIdToken: async (audience) => {
        const token = jwt({ aud: audience, exp: (nowMs + 3_600_000) / 1_000, n: fetched.length })
        fetched.push(token)
        return token
      },
    })
    const first = await source.getToken()
    nowMs += 3_600_000 - 60_001
    expect(await source.getToken()).toBe(first)
    nowMs += 1
    const second = await source.getToken()
    expect(second).not.toBe(first)
    expect(fetched).toStrictEqual([first, second])
  })

  it('when a token has no exp claim, then it is not cached', async () => {
    let calls = 0
    const source = createIdTokenSource({ audience: 'a', fetchIdToken: async () => `opaque-${++calls}` })
    expect([await source.getToken(), await source.getToken()]).toStrictEqual(['opaque-1', 'opaque-2'])
  })

  it('when a fetch fails, then every waiting caller gets the error and the next call tries again', async () => {
    let calls = 0
    const source = createIdTokenSource({
      audience: 'a',
      fetchIdToken: async () => {
        calls++
        if (calls === 1) throw new Error('metadata server down')
        return jwt({ exp: Date.now() / 1_000 + 3_600 })
      },
    })
    const results = await Promise.allSettled([source.getToken(), source.getToken()])
    expect(results.map((result) => result.status)).toStrictEqual(['rejected', 'rejected'])
    expect(calls).toBe(1)
    await expect(source.getToken()).resolves.toMatch(/^e30\./)
    expect(calls).toBe(2)
  })
})
