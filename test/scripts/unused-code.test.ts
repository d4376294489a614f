import { spawnSync } from 'node:child_process'
import { appendFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyProjectFiles, ROOT } from '../helpers/project-copy.ts'

/** knip, as `npm run lint` runs it, in a copy of the project. */
function knip (cwd: string) {
  return spawnSync(process.execPath, [join(ROOT, 'node_modules/knip/bin/knip.js'), '--no-progress'], { cwd, encoding: 'utf8' })
}

describe('the unused-code check in npm run lint', () => {
  it('when a module exports something that no other file imports, then the check fails and names it; without it, the check passes', () => {
    const copy = copyProjectFiles('unused-code-')
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
    const clean = knip(copy)
    expect({ status: clean.status, stdout: clean.stdout }).toStrictEqual({ status: 0, stdout: '' })

    appendFileSync(join(copy, 'src/errors/classify.ts'), '\nexport function leftOverHelper (): number {\n  return 1\n}\n')
    appendFileSync(join(copy, 'src/gcp/orphan.ts'), 'export const ORPHAN = 1\n')
    const dirty = knip(copy)
    expect(dirty.status).toBe(1)
    expect(dirty.stdout).toMatch(/^Unused files \(1\)\nsrc\/gcp\/orphan\.ts/m)
    expect(dirty.stdout).toMatch(/^leftOverHelper +function +src\/errors\/classify\.ts:\d+:\d+/m)
  })
})
