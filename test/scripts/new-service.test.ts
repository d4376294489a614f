import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OLD_NAME = 'hello-cloud-run'
// The copy runs its own suite, which contains this file: don't recurse.
const NESTED = process.env.NEW_SERVICE_COPY === '1'

/** A fresh fork: the project's files as git sees them (tracked and new), committed to a new repository, sharing node_modules. */
function copyProject (): string {
  const copy = mkdtempSync(join(tmpdir(), 'new-service-'))
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }))
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((file) => file !== '')
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true })
    cpSync(join(ROOT, file), join(copy, file))
  }
  // A fork is a git repository: the deploy scripts name images by commit.
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=fork', '-c', 'user.email=fork@example.com', ...args], { cwd: copy, stdio: 'ignore' })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'fork')
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

function runNewService (cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, ['scripts/new-service.ts', ...args], { cwd, encoding: 'utf8' })
}

function filesNaming (cwd: string, name: string): string {
  const result = spawnSync('grep', ['-rIl', '--exclude-dir=node_modules', '--exclude-dir=.git', name, '.'], { cwd, encoding: 'utf8' })
  return result.stdout.trim()
}

describe.skipIf(NESTED)('npm run new-service', () => {
  it.each([
    ['Orders', 'use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen'],
    ['1orders', 'start with a letter'],
    ['orders-', 'do not end with a hyphen'],
    ['orders_api', 'use lowercase letters, digits and hyphens'],
    [`o${'a'.repeat(49)}`, 'is 50 characters long; Cloud Run service names have at most 49.'],
  ])('when the name is %j, then it refuses with a clear message and changes nothing', (name, reason) => {
    const result = runNewService(ROOT, name)
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(reason)
    expect(result.stdout).toBe('')
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name).toBe(OLD_NAME)
  })

  it('when run on a fresh copy, then no trace of the old name remains, the greeting is untouched, a second run is a no-op, and the copy passes its own test suite', () => {
    const copy = copyProject()
    const first = runNewService(copy, 'orders-api')
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(/^Renamed hello-cloud-run to orders-api in \d+ files:\n/)
    expect(first.stdout).toContain('  package.json\n')
    expect(first.stdout).toContain('  README.md\n')

    expect(filesNaming(copy, OLD_NAME)).toBe('')
    expect(readFileSync(join(copy, 'README.md'), 'utf8').split('\n')[0]).toBe('# orders-api')
    expect(readFileSync(join(copy, 'src/routes/hello.ts'), 'utf8')).toContain('Hello from Cloud Run! Host: ')

    const second = runNewService(copy, 'orders-api')
    expect(second.status).toBe(0)
    expect(second.stdout).toBe('The service is already named orders-api; nothing to do.\n')

    const suite = spawnSync('npm', ['test'], { cwd: copy, encoding: 'utf8', env: { ...process.env, NEW_SERVICE_COPY: '1' } })
    expect(suite.status, `the renamed copy's npm test failed:\n${suite.stdout.slice(-4_000)}\n${suite.stderr.slice(-2_000)}`).toBe(0)
  }, 600_000)
})
