import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { schema } from '../../src/config/schema.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const COUNT = Object.keys(schema).length

/** The files npm run docs:config reads and writes, in a folder of their own. */
function scratchCopy (): string {
  const copy = mkdtempSync(join(tmpdir(), 'config-docs-'))
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }))
  for (const path of ['package.json', 'scripts/config-docs.ts', 'src/config', 'README.md', '.env.example']) {
    cpSync(join(ROOT, path), join(copy, path), { recursive: true })
  }
  return copy
}

function docsConfig (cwd: string, ...args: string[]) {
  const result = spawnSync('npm', ['run', '-s', 'docs:config', '--', ...args], { cwd, encoding: 'utf8' })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('npm run docs:config', () => {
  it('when a variable is added to the schema, then --check fails until the command writes its README row and .env.example entry after the variable before it', () => {
    const copy = scratchCopy()
    const schemaPath = join(copy, 'src/config/schema.ts')
    const before = readFileSync(schemaPath, 'utf8')
    const anchor = /^ {2}BREAKER_RESET_TIMEOUT_MS: .*\n.*\n/m
    expect(before).toMatch(anchor)
    writeFileSync(schemaPath, before.replace(anchor, (declaration) => declaration +
      "  PAYMENTS_TIMEOUT_MS: variable(integer({ min: 1, max: 600_000 }), 1_000,\n    'Per-attempt timeout of a payments call.'),\n"))

    expect(docsConfig(copy, '--check')).toStrictEqual({
      status: 1,
      stdout: '',
      stderr: 'README.md and .env.example do not match src/config/schema.ts: run npm run docs:config\n',
    })
    expect(docsConfig(copy)).toStrictEqual({ status: 0, stdout: `Wrote README.md and .env.example from src/config/schema.ts (${COUNT + 1} variables)\n`, stderr: '' })

    const readme = readFileSync(join(copy, 'README.md'), 'utf8')
    const { default: breakerDefault, doc: breakerDoc } = schema.BREAKER_RESET_TIMEOUT_MS
    expect(readme).toContain(`\n| \`BREAKER_RESET_TIMEOUT_MS\` | \`${breakerDefault}\` | ${breakerDoc} |\n` +
      '| `PAYMENTS_TIMEOUT_MS` | `1000` | Per-attempt timeout of a payments call. |\n')
    expect(readFileSync(join(copy, '.env.example'), 'utf8'))
      .toContain(`\n# BREAKER_RESET_TIMEOUT_MS=${breakerDefault}\n\n# Per-attempt timeout of a payments call.\n# PAYMENTS_TIMEOUT_MS=1000\n\n`)
    // Only the table changed in the README.
    const withoutTable = (text: string) => text.split('\n').filter((line) => !line.startsWith('| `')).join('\n')
    expect(withoutTable(readme)).toBe(withoutTable(readFileSync(join(ROOT, 'README.md'), 'utf8')))

    expect(docsConfig(copy, '--check')).toStrictEqual({ status: 0, stdout: `README.md and .env.example match src/config/schema.ts (${COUNT + 1} variables)\n`, stderr: '' })
    expect(docsConfig(copy)).toStrictEqual({ status: 0, stdout: `README.md and .env.example match src/config/schema.ts (${COUNT + 1} variables)\n`, stderr: '' })
  })

  it('when the README has lost the line the table follows, then it says which line to put back and writes nothing', () => {
    const copy = scratchCopy()
    const readme = readFileSync(join(copy, 'README.md'), 'utf8').replace(/^<!-- Generated from src\/config\/schema\.ts .*\n/m, '')
    writeFileSync(join(copy, 'README.md'), readme)

    expect(docsConfig(copy)).toStrictEqual({
      status: 1,
      stdout: '',
      stderr: 'README.md has no line "<!-- Generated from src/config/schema.ts by `npm run docs:config`: edit the schema, then run it. -->": put it where the configuration table goes\n',
    })
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe(readme)
    expect(readFileSync(join(copy, '.env.example'), 'utf8')).toBe(readFileSync(join(ROOT, '.env.example'), 'utf8'))
  })
})
