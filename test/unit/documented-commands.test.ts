import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })

/** Tracked files and their modes, as git will check them out in a fresh clone. */
function trackedModes (): Map<string, string> {
  const modes = new Map<string, string>()
  for (const line of git('ls-files', '--stage', '-z').split('\0')) {
    // "<mode> <object> <stage>\t<path>"
    const match = /^(\d+) \S+ \d+\t(.+)$/.exec(line)
    if (match?.[1] !== undefined && match[2] !== undefined) modes.set(match[2], match[1])
  }
  return modes
}

/**
 * The program each shell command in `text` starts, where it is named by a
 * path (`deploy/build.sh`, not `npm`): the first word after `&&`, `||`, `;`,
 * `|`, `$(`, `do` or `then`, past any `NAME=value` assignments.
 */
function programsRunBy (text: string): string[] {
  return text.split(/&&|\|\||;|\||\$\(|`/).flatMap((command) => {
    const words = command.trim().replace(/^["'(]+/, '').replace(/^(?:do|then|else)\s+/, '').replace(/^(?:[A-Za-z_]\w*=(?:"[^"]*"|'[^']*'|\S*)\s+)*/, '')
    const first = /^((?:\.{0,2}[\w-]*\/)+[\w.-]+)/.exec(words)?.[1]
    return first === undefined ? [] : [first]
  })
}

/**
 * Shell commands in the Markdown docs: each line of a sh/bash/shell block, each
 * `$ ` line of a console block, and each inline code span that is a command
 * with arguments (`deploy/traffic.sh rollback`), rather than a bare mention
 * of a file (`scripts/build.ts`).
 */
function documentedCommands (markdown: string): string[] {
  const commands: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const opening = /^\s*```(\w*)/.exec(line)
    if (opening !== null) {
      fence = fence === undefined ? opening[1] : undefined
      continue
    }
    if (fence === undefined) {
      for (const [, span] of line.matchAll(/`([^`]+)`/g)) if (span !== undefined && /\S\s+\S/.test(span)) commands.push(span)
    } else if (['sh', 'bash', 'shell'].includes(fence)) {
      commands.push(line.replace(/#.*$/, ''))
    } else if (fence === 'console' && line.startsWith('$ ')) {
      commands.push(line.slice(2))
    }
  }
  return commands
}

describe('scripts the docs tell you to run', () => {
  it('when the docs run a script by its path, then a fresh clone can run it: mode 100755 in git, and a shebang', () => {
    const modes = trackedModes()
    const docs = git('ls-files', '*.md').split('\n').filter((path) => path !== '')
    const invoked = [...new Set(docs.flatMap((path) => documentedCommands(readFileSync(`${ROOT}/${path}`, 'utf8')).flatMap(programsRunBy)))]
      .map((program) => program.replace(/^\.\//, ''))
      .filter((program) => modes.has(program))
      .sort()

    // The README's deploy one-liner, at least: proof that the parser finds what it should.
    expect(invoked).toEqual(expect.arrayContaining(['deploy/bootstrap.sh', 'deploy/build.sh', 'deploy/deploy.sh']))
    const found = Object.fromEntries(invoked.map((path) => [path, { mode: modes.get(path), firstLine: readFileSync(`${ROOT}/${path}`, 'utf8').split('\n')[0] }]))
    const expected = Object.fromEntries(invoked.map((path) => [path, { mode: '100755', firstLine: expect.stringMatching(/^#!\/\S+/) }]))
    expect(found).toStrictEqual(expected)
  })
})
