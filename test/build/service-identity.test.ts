import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The sources and build files in a folder of their own, with package.json saying `name` and `version`. */
async function projectNamed (name: string, version: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'service-identity-'))
  onTestFinished(() => rm(copy, { recursive: true, force: true }))
  for (const path of ['src', 'scripts/build.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) {
    await cp(join(ROOT, path), join(copy, path), { recursive: true })
  }
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>
  await writeFile(join(copy, 'package.json'), JSON.stringify({ ...pkg, name, version }, null, 2) + '\n')
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

const BUILDS = [
  { build: 'npm run build (the esbuild bundle)', args: ['scripts/build.ts'], entry: 'dist/server.js' },
  { build: 'npm run build:tsc (the tsc output)', args: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], entry: 'dist-tsc/server.js' },
]

describe('the service\'s name and version', () => {
  it.each(BUILDS)('when package.json names the service and $build runs, then the server reports that name and version, with no other file edited', async ({ args, entry }) => {
    const copy = await projectNamed('renamed-service', '2.3.4')
    await run(process.execPath, args, { cwd: copy })
    const receiver = await startOtlpReceiver()
    const server = await startServerProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, join(copy, entry))

    const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { accept: 'application/json' } })
    expect(await response.json()).toMatchObject({ service: 'renamed-service' })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    expect(server.logs().find((line) => line.port === server.port && typeof line.bootMs === 'number')).toMatchObject({ message: 'renamed-service ready' })
    expect(receiver.spans().map((span) => [span.resource['service.name'], span.resource['service.version']]))
      .toContainEqual(['renamed-service', '2.3.4'])
  }, 60_000)
})
