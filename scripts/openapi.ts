// npm run openapi: writes openapi.json, the service's OpenAPI 3.1 document,
// from the route schemas (scripts/openapi/document.ts). Change a route or its
// schema, then run this. `npm run openapi -- --check` writes nothing and
// exits 1 when openapi.json differs from what it would write; the test suite
// runs it (test/openapi/document.test.ts).
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatDocument, generateOpenApiDocument } from './openapi/document.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PATH = join(ROOT, 'openapi.json')

const document = await generateOpenApiDocument()
const wanted = formatDocument(document)
let current: string | undefined
try {
  current = readFileSync(PATH, 'utf8')
} catch (error) {
  if ((error as { code?: string }).code !== 'ENOENT') throw error
}
const operations = Object.values(document.paths ?? {}).reduce((sum, pathItem) => sum + Object.keys(pathItem ?? {}).length, 0)
const summary = `${Object.keys(document.paths ?? {}).length} paths, ${operations} operations`

if (current === wanted) {
  process.stdout.write(`openapi.json matches the route schemas (${summary})\n`)
} else if (process.argv.includes('--check')) {
  process.stderr.write(`openapi.json ${current === undefined ? 'is missing' : 'does not match the route schemas'}: run npm run openapi\n`)
  process.exitCode = 1
} else {
  // Write beside, then rename over: the file is either old or new, never torn.
  writeFileSync(`${PATH}.openapi-tmp`, wanted)
  renameSync(`${PATH}.openapi-tmp`, PATH)
  process.stdout.write(`Wrote openapi.json from the route schemas (${summary})\n`)
}
