import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Packages that are heavy to load are imported with import() on first use.
// tsc rewrites `.ts` to `.js` in static imports only: a dynamic import of a
// relative `.ts` file works under `node src/server.ts` and in these tests,
// then fails in dist/ with ERR_MODULE_NOT_FOUND (seen with TypeScript 6.0).
describe('dynamic imports in src/', () => {
  it('when src/ imports lazily, then it imports a package, never a relative .ts file', () => {
    const root = new URL('../../src/', import.meta.url)
    const offenders = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(new URL(file, root), 'utf8').matchAll(/import\(\s*['"`](\.[^'"`]*)['"`]/g)].map(([, specifier]) => `${file}: ${specifier}`))
    expect(offenders).toStrictEqual([])
  })
})
