import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { schema } from '../../src/config/schema.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('project files', () => {
  it('when the schema changes, then the README table and .env.example must be regenerated with npm run docs:config', () => {
    const result = spawnSync(process.execPath, ['scripts/config-docs.ts', '--check'], { cwd: ROOT, encoding: 'utf8' })
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toStrictEqual({
      status: 0,
      stdout: `README.md and .env.example match src/config/schema.ts (${Object.keys(schema).length} variables)\n`,
      stderr: '',
    })
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

  it('when the image starts the service, then it runs node with the same flags as npm start (ADR 0011)', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
    const dockerfile = read('Dockerfile')
    const exec = (instruction: string) => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(dockerfile)?.[1] ?? '[]') as string[]
    expect(exec('ENTRYPOINT')).toStrictEqual(['/nodejs/bin/node'])
    expect(['exec', 'node', ...exec('CMD')].join(' ')).toBe(pkg.scripts.start)
  })
})

describe('.env.example', () => {
  it('when .env.example is copied to .env, then it sets nothing: every variable is commented out', () => {
    const example = read('.env.example')
    expect([...example.matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map(([, name]) => name)).toStrictEqual(Object.keys(schema))
    expect(example).not.toMatch(/^[^#\n]/m)
  })

  it('when npm run dev starts, then it loads .env if present, and production start does not', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
    expect(pkg.scripts.dev).toContain('--env-file-if-exists=.env')
    // `exec`: npm's signals go to the server itself (test/scripts/npm-start.test.ts).
    expect(pkg.scripts.start).toBe('exec node --max-semi-space-size=8 dist/server.js')
  })
})
