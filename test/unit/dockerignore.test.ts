import { readFileSync } from 'node:fs'
import { matchesGlob } from 'node:path'
import { describe, expect, it } from 'vitest'

const patterns = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8')
  .split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))

/**
 * Docker's rule: a pattern excludes a path when it matches the path or one of
 * its parent folders; the last matching line wins, and `!` re-includes.
 */
function isExcluded (path: string): boolean {
  const parts = path.split('/')
  let excluded = false
  for (const line of patterns) {
    const negated = line.startsWith('!')
    const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, '')
    if (parts.some((_, index) => matchesGlob(parts.slice(0, index + 1).join('/'), pattern))) excluded = !negated
  }
  return excluded
}

describe('.dockerignore', () => {
  it.each([
    'node_modules/fastify/package.json',
    '.git/HEAD',
    'test/unit/config.test.ts',
    'test-container/run.sh',
    '.env',
    '.env.local',
    '.env.production',
  ])('when the build context is sent, then %s stays out', (path) => {
    expect(isExcluded(path)).toBe(true)
  })

  it.each([
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'scripts/build.ts',
    'src/server.ts',
    'src/config/schema.ts',
  ])('when the build stage needs %s, then it is in the context', (path) => {
    expect(isExcluded(path)).toBe(false)
  })
})
