import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// `npm run test:container` itself needs root, dockerd and minutes, so it runs
// in CI (.ci/run, .github/workflows/ci.yml), not here. Its options are read
// before anything starts, so they can be checked here, through npm as the
// docs run it.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const USAGE = 'Usage: npm run test:container [-- --local-base-images]\n'

function testContainer (...args: string[]) {
  const result = spawnSync('npm', ['run', '-s', 'test:container', '--', ...args], { cwd: ROOT, encoding: 'utf8' })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('npm run test:container', () => {
  it('when asked for --help, then it shows its one option and starts nothing', () => {
    expect(testContainer('--help')).toStrictEqual({ status: 0, stdout: USAGE, stderr: '' })
  })

  it('when given an option it does not know, then it shows the usage, names the option and exits 2 before starting anything', () => {
    expect(testContainer('--local-base-image')).toMatchObject({
      status: 2,
      stdout: '',
      stderr: expect.stringMatching(new RegExp(`^${USAGE.replace(/[[\]]/g, '\\$&')}test-container/run\\.sh: unknown option: --local-base-image\\n`)),
    })
  })
})
