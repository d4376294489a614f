import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { machineEnv, machineNode } from '../helpers/machine-node.ts'
import { copyProjectFiles, ROOT } from '../helpers/project-copy.ts'

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string }
// The name this project has now: the template's, or a fork's after its rename.
const CURRENT_NAME = PKG.name
const NEW_NAME = ['orders-api', 'payments-api'].find((name) => !name.includes(CURRENT_NAME) && !CURRENT_NAME.includes(name)) ?? 'billing-api'
// The outer run renames a copy and runs the copy's whole npm test, which
// contains this file; in there, everything runs but that last step.
const NESTED = process.env.NEW_SERVICE_COPY === '1'
// The README runs the rename before `npm ci`: on the machine's own node.
const MACHINE_NODE = machineNode()

/** A fresh clone before `npm ci`: the project's files as git sees them (tracked and new), committed to a new repository, no node_modules. */
function cloneProject (): string {
  const copy = copyProjectFiles('new-service-')
  // A fork is a git repository: the deploy scripts name images by commit.
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=fork', '-c', 'user.email=fork@example.com', ...args], { cwd: copy, stdio: 'ignore' })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'fork')
  return copy
}

/** The README's command, in a newcomer's shell: the machine's own npm and node. */
function npmRunNewService (cwd: string, ...args: string[]) {
  return spawnSync('npm', ['run', 'new-service', '--', ...args], { cwd, env: machineEnv(), encoding: 'utf8' })
}

/** What the script itself printed, after npm's "> name@version new-service" banner. */
function scriptOutput (stdout: string): string {
  return stdout.replace(/^\n> .+\n> .+\n\n/, '')
}

function filesNaming (cwd: string, name: string): string[] {
  const result = spawnSync('grep', ['-rIl', '--exclude-dir=node_modules', '--exclude-dir=.git', name, '.'], { cwd, encoding: 'utf8' })
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => line.replace(/^\.\//, '')).sort()
}

/** The paths the README's "Start your own service" says the rename changes: the backticked ones in its list. */
function pathsTheReadmeNames (readme: string, cwd: string): string[] {
  const list = /^It replaces the current name wherever it appears, which today means:\n\n((?:- .*\n(?: {2}.*\n)*)+)/m.exec(readme)?.[1] ?? ''
  return [...list.matchAll(/`([^`\s]+)`/g)].map(([, path]) => path ?? '').filter((path) => spawnSync('test', ['-e', join(cwd, path)]).status === 0)
}

describe(`npm run new-service, on the machine's own node (v${MACHINE_NODE.major})`, () => {
  it('when the machine runs npm, then its node is one the README promises to work with, not the project\'s', () => {
    expect(MACHINE_NODE.major).toBeGreaterThanOrEqual(18)
    expect(MACHINE_NODE.path).not.toContain('node_modules')
  })

  it.each([
    ['Orders', '"Orders" is not a valid Cloud Run service name: use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen.\n'],
    ['1orders', '"1orders" is not a valid Cloud Run service name: use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen.\n'],
    ['orders-', '"orders-" is not a valid Cloud Run service name: use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen.\n'],
    ['orders_api', '"orders_api" is not a valid Cloud Run service name: use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen.\n'],
    [`o${'a'.repeat(49)}`, `"o${'a'.repeat(49)}" is 50 characters long; Cloud Run service names have at most 49.\n`],
    ['', 'Usage: npm run new-service -- <name>\n'],
  ])('when the name is %j, then it refuses with exit code 2 and one line that says why, and changes nothing', (name, message) => {
    const result = spawnSync(MACHINE_NODE.path, ['scripts/new-service.mjs', ...(name === '' ? [] : [name])], { cwd: ROOT, env: machineEnv(), encoding: 'utf8' })
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toStrictEqual({ status: 2, stdout: '', stderr: message })
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))).toMatchObject({ name: CURRENT_NAME })
  })

  it('when npm run new-service gets no name, then npm exits 2 and shows the usage', () => {
    const result = npmRunNewService(ROOT)
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('Usage: npm run new-service -- <name>\n')
  })

  it(`when a fresh clone runs "npm run new-service -- ${NEW_NAME}" before npm ci, then no trace of the old name remains, it changed exactly what the README says, a second run is a no-op${NESTED ? '' : ', and the renamed clone passes npm ci && npm test'}`, () => {
    const clone = cloneProject()
    const naming = filesNaming(clone, CURRENT_NAME)

    const first = npmRunNewService(clone, NEW_NAME)

    expect(first.status, first.stderr).toBe(0)
    expect(scriptOutput(first.stdout)).toBe(`Renamed ${CURRENT_NAME} to ${NEW_NAME} in ${naming.length} files:\n${naming.map((file) => `  ${file}\n`).join('')}` +
      'Next: review with `git diff`, then `npm ci && npm test`.\n')
    expect(filesNaming(clone, CURRENT_NAME)).toStrictEqual([])
    expect(readFileSync(join(clone, 'README.md'), 'utf8').split('\n')[0]).toBe(`# ${NEW_NAME}`)
    expect(readFileSync(join(clone, 'src/routes/hello.ts'), 'utf8')).toContain('Hello from Cloud Run! Host: ')
    // The contract carries the name too; the clone's npm test checks it is the document npm run openapi would write.
    expect((JSON.parse(readFileSync(join(clone, 'openapi.json'), 'utf8')) as { info: { title: string } }).info.title).toBe(NEW_NAME)

    // The README's list of what changes, against what did.
    const named = pathsTheReadmeNames(readFileSync(join(ROOT, 'README.md'), 'utf8'), clone)
    const coveredBy = (file: string) => named.filter((path) => path.endsWith('/') ? file.startsWith(path) : file === path)
    expect(naming.filter((file) => coveredBy(file).length === 0)).toStrictEqual([])
    expect(named.filter((path) => !naming.some((file) => coveredBy(file).includes(path)))).toStrictEqual([])
    expect(named).toEqual(expect.arrayContaining(['package.json', 'deploy/config.env']))
    expect(naming).not.toContain('deploy/service.yaml')

    const second = npmRunNewService(clone, NEW_NAME)
    expect(second.status, second.stderr).toBe(0)
    expect(scriptOutput(second.stdout)).toBe(`The service is already named ${NEW_NAME}; nothing to do.\n`)

    if (NESTED) return
    // `npm ci` would fetch the same locked packages again; the project's own stand in for them.
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'))
    // A failing test can print a server's whole stdout: room for it, so that the report below is the suite's own.
    const suite = spawnSync('npm', ['test'], { cwd: clone, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, ...machineEnv(), NEW_SERVICE_COPY: '1' } })
    const failures = suite.stdout.split('\n').filter((line) => /FAIL|×/.test(line)).join('\n')
    expect(suite.status, `the renamed clone's npm test failed (${suite.error?.message ?? `status ${suite.status}, signal ${suite.signal}`}):\n${failures}\n…\n${suite.stdout.slice(-4_000)}\n${suite.stderr.slice(-2_000)}`).toBe(0)
  }, 900_000)
})
