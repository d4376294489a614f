import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { schema } from '../../src/config/schema.ts'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('project files', () => {
  it('when a variable is added to the schema, then the README table documents it with its default', () => {
    const readme = read('README.md')
    const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map(([, name, defaultText]) => [name, defaultText?.trim()])
    const expected = Object.entries(schema).map(([name, spec]) => [name, spec.default === undefined ? '(unset)' : `\`${String(spec.default)}\``])
    expect(documented).toStrictEqual(expected)
  })

  it('when a newcomer reads the README, then it gives the two commands', () => {
    const readme = read('README.md')
    expect(readme).toContain('npm ci && npm start')
    expect(readme).toContain('npm ci && npm test')
  })

  it('when the runtime is pinned, then engines, .nvmrc and the node devDependency all say 24', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }, devDependencies: Record<string, string> }
    expect(pkg.engines.node).toBe('>=24.0.0 <25')
    expect(read('.nvmrc').trim()).toBe('24')
    expect(pkg.devDependencies.node).toMatch(/^\^24\./)
  })
})

describe('.env.example', () => {
  it('when a variable is added to the schema, then .env.example lists it, commented out, with its default', () => {
    const example = read('.env.example')
    const listed = [...example.matchAll(/^# ([A-Z][A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name, value])
    const expected = Object.entries(schema).map(([name, spec]) => [name, spec.default === undefined ? '' : String(spec.default)])
    expect(listed).toStrictEqual(expected)
    expect(example).not.toMatch(/^[A-Z]/m) // nothing is set by copying it
  })

  it('when npm run dev starts, then it loads .env if present, and production start does not', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
    expect(pkg.scripts.dev).toContain('--env-file-if-exists=.env')
    // `exec`: npm's signals go to the server itself (test/scripts/npm-start.test.ts).
    expect(pkg.scripts.start).toBe('exec node dist/server.js')
  })
})
