import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { machineEnv, machineNode } from '../helpers/machine-node.ts'

// The README's note beside the two commands: on a Node older than 24, npm ci
// prints a five-line EBADENGINE block for the project and one for each
// dependency whose engines exclude the machine's Node. `npm ci --dry-run`
// builds the same tree and runs the same engine check as `npm ci`, from the
// lock file alone: --offline and an empty cache prove it fetches nothing.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MACHINE_NODE = machineNode()

interface EngineWarning { package: string, required: string, current: string }

/** npm's EBADENGINE blocks, five lines each: "Unsupported engine {", package, required, current, "}". */
function engineWarnings (output: string): EngineWarning[] {
  return [...output.matchAll(/^npm warn EBADENGINE Unsupported engine \{\nnpm warn EBADENGINE {3}package: '(.+)',\nnpm warn EBADENGINE {3}required: \{ node: '(.+)' \},\nnpm warn EBADENGINE {3}current: \{ node: '(v[\d.]+)', npm: '.+' \}\nnpm warn EBADENGINE \}$/gm)]
    .map(([, pkg, required, current]) => ({ package: pkg ?? '', required: required ?? '', current: current ?? '' }))
}

describe(`npm ci on the machine's own node (v${MACHINE_NODE.major})`, () => {
  it('when it installs, then EBADENGINE warns, in five-line blocks, about the project and the locked dependencies that ask for a newer Node, checked against the node running npm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-ci-engines-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
    cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'))

    const result = spawnSync('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], {
      cwd: dir, encoding: 'utf8', env: machineEnv({ npm_config_cache: join(dir, 'cache') }),
    })

    expect(result.status, result.stderr).toBe(0)
    const output = result.stdout + result.stderr
    const warnings = engineWarnings(output)
    // Every EBADENGINE line belongs to one of the blocks parsed.
    expect(output.split('\n').filter((line) => line.startsWith('npm warn EBADENGINE'))).toHaveLength(warnings.length * 5)
    if (MACHINE_NODE.major >= 24) {
      expect(warnings).toStrictEqual([])
      return
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string, engines: { node: string } }
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string, engines?: { node?: string } }> }
    const locked = new Map(Object.entries(lock.packages).map(([path, entry]) => [`${path.replace(/^.*node_modules\//, '')}@${entry.version ?? ''}`, entry.engines?.node]))
    const machineVersion = spawnSync(MACHINE_NODE.path, ['--version'], { encoding: 'utf8' }).stdout.trim()

    expect(warnings[0]).toStrictEqual({ package: `${pkg.name}@${pkg.version}`, required: pkg.engines.node, current: machineVersion })
    expect(warnings.slice(1).length).toBeGreaterThan(0)
    for (const warning of warnings.slice(1)) {
      expect(warning).toStrictEqual({ package: warning.package, required: locked.get(warning.package), current: machineVersion })
    }
  })
})
