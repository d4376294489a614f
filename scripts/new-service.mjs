// @ts-check
// npm run new-service -- <name>
// Renames the service everywhere it is named: it replaces the exact current
// name (read from package.json) and nothing else, in every text file of the
// project. The README's "Start your own service" lists the files that holds
// today. The service itself reads its name from package.json, so no source
// file needs the rename. All new contents are computed before the first
// write, so a bad file stops the rename before anything changes.
//
// Plain JavaScript with no dependencies, unlike the rest of the project: the
// README runs it first, before `npm ci`, so the machine's own Node runs it
// (any version from 18), and that Node may not run TypeScript. The types are
// JSDoc, checked by `npm run typecheck`.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Cloud Run's rule for service names. */
const SERVICE_NAME = /^[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?$/
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'dist-tsc', 'coverage'])

/**
 * @param {string | undefined} name
 * @returns {string | undefined} what is wrong with the name, or undefined when it is valid
 */
function validateServiceName (name) {
  if (name === undefined || name === '') return 'Usage: npm run new-service -- <name>'
  if (name.length > 49) return `"${name}" is ${name.length} characters long; Cloud Run service names have at most 49.`
  if (!SERVICE_NAME.test(name)) {
    return `"${name}" is not a valid Cloud Run service name: use lowercase letters, digits and hyphens, start with a letter, and do not end with a hyphen.`
  }
  return undefined
}

/**
 * Every file under `directory`, skipping dependencies, git and build output.
 * @param {string} directory
 * @returns {Generator<string>}
 */
function * projectFiles (directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) yield * projectFiles(path)
    } else if (entry.isFile()) {
      yield path
    }
  }
}

/**
 * @param {string} root the project's folder
 * @param {string} newName
 * @returns {{ from: string, to: string, changedFiles: string[] }}
 */
function renameService (root, newName) {
  /** @type {{ name: string }} */
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const oldName = pkg.name
  if (oldName === newName) return { from: oldName, to: newName, changedFiles: [] }
  /** @type {Array<{ path: string, content: string }>} */
  const changes = []
  for (const path of projectFiles(root)) {
    const bytes = readFileSync(path)
    if (bytes.includes(0)) continue // binary
    const text = bytes.toString('utf8')
    if (!text.includes(oldName)) continue
    changes.push({ path, content: text.replaceAll(oldName, newName) })
  }
  for (const { path, content } of changes) {
    // Write beside, then rename over: a file is either old or new, never torn.
    const temporary = `${path}.new-service-tmp`
    writeFileSync(temporary, content, { mode: statSync(path).mode })
    renameSync(temporary, path)
  }
  return { from: oldName, to: newName, changedFiles: changes.map(({ path }) => relative(root, path)).sort() }
}

const newName = process.argv[2]
const problem = validateServiceName(newName)
if (problem !== undefined || newName === undefined) {
  process.stderr.write(`${problem ?? ''}\n`)
  process.exit(2)
}
const root = fileURLToPath(new URL('..', import.meta.url))
const result = renameService(root, newName)
if (result.changedFiles.length === 0) {
  process.stdout.write(`The service is already named ${newName}; nothing to do.\n`)
} else {
  process.stdout.write(`Renamed ${result.from} to ${result.to} in ${result.changedFiles.length} files:\n${result.changedFiles.map((file) => `  ${file}\n`).join('')}`)
  process.stdout.write('Next: review with `git diff`, then `npm ci && npm test`.\n')
}
