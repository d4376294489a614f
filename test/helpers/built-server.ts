// vitest globalSetup: builds the bundle (scripts/build.ts, as `npm run build`
// does) once per test run, into a folder of its own outside the project, so
// that process tests run the server as the image does: `node server.js`.
// Tests find it with builtServer().
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    builtServerDir: string
    builtServerMetafile: string
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export default function buildOnce ({ provide }: TestProject): () => void {
  const outDir = mkdtempSync(join(tmpdir(), 'built-server-'))
  // Beside the bundle's folder, not in it: the image ships dist/ alone.
  const metafile = `${outDir}.meta.json`
  execFileSync(process.execPath, ['scripts/build.ts', outDir, '--metafile', metafile], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  provide('builtServerDir', outDir)
  provide('builtServerMetafile', metafile)
  return () => {
    rmSync(outDir, { recursive: true, force: true })
    rmSync(metafile, { force: true })
  }
}

/** The folder holding the bundle built for this test run: server.js and its package.json. */
export function builtServerDir (): string {
  return inject('builtServerDir')
}

/** esbuild's metafile for that bundle: which source modules went into which output file. */
export function builtServerMetafile (): string {
  return inject('builtServerMetafile')
}

/** The bundle's entry point, for spawnServer and startServerProcess. */
export function builtServer (): string {
  return join(builtServerDir(), 'server.js')
}
