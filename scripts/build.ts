// `npm run build`: bundles src/server.ts and everything it imports into
// ESM files in dist/, so that a cold start reads a handful of files instead
// of resolving and reading thousands under node_modules. On Cloud Run the
// file system is remote, and module loading is the largest start-up cost:
// https://cloud.google.com/run/docs/tips/nodejs#optimize-startup
// The bundle is split at every `await import()`: what the source loads only
// when it is configured (the Secret Manager client and gRPC, the OTLP
// exporters, undici, google-auth-library) lands in chunks of its own, which a
// boot that does not need them never reads or parses. dist/server.js is the
// entry point; the chunks sit next to it.
//
// dist/ is the whole runtime: the image copies it and nothing else. Whatever
// cannot live inside the bundle is declared below, in one place.
import { build } from 'esbuild'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// `node scripts/build.ts <folder>` builds elsewhere (the tests do);
// `--metafile <file>` also writes esbuild's account of which module went into
// which output file, which the tests read to check what a boot loads.
const { positionals, values: options } = parseArgs({ allowPositionals: true, options: { metafile: { type: 'string' } } })
const OUT_DIR = resolve(positionals[0] ?? join(ROOT, 'dist'))

/**
 * Packages kept out of the bundle and loaded from dist/node_modules at run
 * time, with their production dependencies (taken from package-lock.json).
 * Use it for a package that must be patched through require/import hooks
 * (require-in-the-middle), reads its own files through paths the bundle
 * breaks, or ships a native addon. Each entry costs start-up time.
 */
export const external: string[] = []

/**
 * Files that bundled code reads from disk at run time, copied from
 * node_modules into dist/. `to` is relative to dist/, where the bundle's
 * `__dirname` points, so it is the path the bundled code computes.
 */
export const runtimeFiles: Array<{ from: string, to: string }> = []

// Bundled CommonJS dependencies call require() and read __dirname/__filename;
// an ES module has none of them, so the bundle defines them once at the top.
const CJS_SHIM = [
  "import { createRequire as __bundleCreateRequire } from 'node:module'",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url'",
  'const require = __bundleCreateRequire(import.meta.url)',
  'const __filename = __bundleFileURLToPath(import.meta.url)',
  "const __dirname = __bundleFileURLToPath(new URL('.', import.meta.url))",
].join('\n')

interface LockEntry { dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>, dev?: boolean }

/** Where Node resolves `name` from the package installed at `fromPath` ('' = the project). */
function resolveInLock (packages: Record<string, LockEntry>, fromPath: string, name: string): string | undefined {
  // node_modules/a/node_modules/b looks in its own node_modules, then a's, then the top.
  for (let base = fromPath; ;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate] !== undefined) return candidate
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

/** The lock paths of `names` and of every production dependency they pull in. */
async function productionClosure (names: string[]): Promise<string[]> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const found = new Set<string>()
  const visit = (fromPath: string, name: string, optional: boolean): void => {
    const path = resolveInLock(lock.packages, fromPath, name)
    if (path === undefined) {
      if (optional) return
      throw new Error(`${name} (needed by ${fromPath || 'package.json'}) is not in package-lock.json`)
    }
    if (found.has(path)) return
    found.add(path)
    const entry = lock.packages[path] ?? {}
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false)
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true)
  }
  for (const name of names) visit('', name, false)
  return [...found].sort()
}

async function main (): Promise<void> {
  // The output folder is emptied first; never let that be the project itself.
  if (!relative(OUT_DIR, ROOT).startsWith('..')) throw new Error(`refusing to empty ${OUT_DIR}: it holds the project`)
  await rm(OUT_DIR, { recursive: true, force: true })
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { server: 'src/server.ts' },
    outdir: OUT_DIR,
    splitting: true,
    // Beside the entry, so that `__dirname` (and so runtimeFiles' `to`) is dist/ in every chunk.
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external,
    banner: { js: CJS_SHIM },
    // Readable stacks when source maps are switched on (see docs/container.md
    // for why they are off by default). The map is not loaded otherwise.
    sourcemap: 'linked',
    sourcesContent: false,
    // No keepNames: it wraps every function expression in __name(), closures
    // that Fastify and pino create for each request included, and that cost
    // about 5 µs of CPU per request (npm run bench:profile). Without
    // minification, names survive anyway, except where two modules use the
    // same one and esbuild appends a digit (noop2) to tell them apart. Our
    // plugins are named in fastify-plugin's options and our errors set
    // `name` themselves, so nothing reads a renamed function's name.
    keepNames: false,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  })
  if (options.metafile !== undefined) await writeFile(options.metafile, JSON.stringify(result.metafile))
  // Without "type": "module" next to it, Node would parse the bundle as
  // CommonJS first, fail, and parse it again as ESM on every cold start.
  await writeFile(join(OUT_DIR, 'package.json'), JSON.stringify({ type: 'module' }) + '\n')

  for (const { from, to } of runtimeFiles) {
    await mkdir(dirname(join(OUT_DIR, to)), { recursive: true })
    await cp(join(ROOT, from), join(OUT_DIR, to), { recursive: true })
  }
  for (const path of await productionClosure(external)) {
    // Each package is copied without its nested node_modules: the nested
    // packages it needs are in the closure and copied on their own.
    const source = join(ROOT, path)
    await cp(source, join(OUT_DIR, path), {
      recursive: true,
      filter: (file) => file === source || !file.slice(source.length).includes('/node_modules/'),
    })
  }

  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'))
  const entryPath = relative(ROOT, join(OUT_DIR, 'server.js'))
  const entryBytes = result.metafile.outputs[entryPath]?.bytes ?? 0
  const totalBytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0)
  const inputs = Object.keys(result.metafile.inputs).length
  process.stdout.write(`${entryPath}: ${(entryBytes / 1024).toFixed(0)} KiB, plus ${outputs.length - 1} chunks loaded when needed ` +
    `(${(totalBytes / 1024).toFixed(0)} KiB in all), from ${inputs} modules; ` +
    `${external.length} external packages, ${runtimeFiles.length} runtime file entries\n`)
}

await main()
