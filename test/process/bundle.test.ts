import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startServerProcess } from '../helpers/spawn-server.ts'

const run = promisify(execFile)

/** Builds the bundle into a fresh folder outside the project, so that no node_modules is within reach. */
async function buildAlone (): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'bundle-'))
  onTestFinished(() => rm(outDir, { recursive: true, force: true }))
  await run(process.execPath, ['scripts/build.ts', outDir])
  return outDir
}

// The image ships dist/ and nothing else, so the bundle must run on its own.
describe('the esbuild bundle', () => {
  it('when dist/ stands alone, then `node server.js` boots and answers GET / with the greeting', async () => {
    const outDir = await buildAlone()
    const moved = await mkdtemp(join(tmpdir(), 'bundle-moved-'))
    onTestFinished(() => rm(moved, { recursive: true, force: true }))
    await cp(outDir, moved, { recursive: true })
    const server = await startServerProcess({}, join(moved, 'server.js'))
    const response = await fetch(`http://127.0.0.1:${server.port}/`)

    expect(await readdir(moved)).toStrictEqual(['package.json', 'server.js', 'server.js.LEGAL.txt', 'server.js.map'])
    expect(await response.text()).toMatch(/^Hello from Cloud Run! Host: .+, Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.logs().at(-1)).toMatchObject({ severity: 'INFO', message: 'Shutdown complete' })
  })

  it('when the bundle is imported rather than run, then it starts nothing', async () => {
    const outDir = await buildAlone()
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e',
      `const { start } = await import(${JSON.stringify(join(outDir, 'server.js'))}); process.stdout.write(typeof start)`],
    { timeout: 10_000, env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1' } })

    expect({ stdout, stderr }).toStrictEqual({ stdout: 'function', stderr: '' })
  })
})
