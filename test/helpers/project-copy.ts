import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * A copy of the project's files as git sees them (tracked and new, not
 * ignored), without node_modules, in a temporary folder removed when the test
 * finishes.
 */
export function copyProjectFiles (prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }))
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    // In a copy a test made, node_modules is a symlink, which .gitignore's
    // `node_modules/` (folders only) does not hide.
    .split('\0').filter((file) => file !== '' && file !== 'node_modules')
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true })
    cpSync(join(ROOT, file), join(copy, file))
  }
  return copy
}
