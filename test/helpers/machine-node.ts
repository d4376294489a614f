import { execFileSync } from 'node:child_process'
import { delimiter, sep } from 'node:path'

// `npm test` runs the tests under the project's Node 24 because npm puts
// node_modules/.bin first on PATH. A newcomer's shell has no such entries: its
// `node` and `npm` are the machine's own, whatever their version.

/** PATH as a shell outside npm sees it: without npm's node_modules/.bin entries. */
const MACHINE_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((directory) => directory !== '' && !directory.split(sep).includes('node_modules'))
  .join(delimiter)

/** The environment of a newcomer's shell: PATH and HOME only, and npm asks no registry for news of itself. */
export function machineEnv (extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: MACHINE_PATH, HOME: process.env.HOME ?? '/root', npm_config_update_notifier: 'false', ...extra }
}

/** The machine's own `node`: its path and its major version. */
export function machineNode (): { path: string, major: number } {
  const path = execFileSync('sh', ['-c', 'command -v node'], { env: { PATH: MACHINE_PATH }, encoding: 'utf8' }).trim()
  const major = Number(execFileSync(path, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim())
  return { path, major }
}
