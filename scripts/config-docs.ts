// npm run docs:config: writes the README's configuration table and
// .env.example from src/config/schema.ts, the one place a variable is
// declared, with its default and its line of doc. Add or change a variable
// there, then run this. `npm run docs:config -- --check` writes nothing and
// exits 1 when either file differs from what it would write; the test suite
// runs it (test/unit/project-files.test.ts).
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { schema } from '../src/config/schema.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The README line that the table follows; everything from there to the table's last row is generated. */
const TABLE_MARKER = '<!-- Generated from src/config/schema.ts by `npm run docs:config`: edit the schema, then run it. -->'

const ENV_EXAMPLE_HEADER = `# Every variable the service reads, with its default. Copy to .env for \`npm run dev\`
# (which loads .env if it exists) and uncomment what you change. Production never
# reads .env: Cloud Run sets variables from deploy/config.env.
# Any value can be a Secret Manager reference, sm://PROJECT/SECRET#VERSION, and
# setting NAME_FILE to a path reads NAME from that file.
# Generated from src/config/schema.ts by \`npm run docs:config\`: edit the schema, then run it.
`

const variables = Object.entries(schema).map(([name, spec]) => ({
  name,
  defaultValue: spec.default === undefined ? undefined : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default),
  doc: spec.doc,
}))

function readmeTable (): string {
  const rows = variables.map(({ name, defaultValue, doc }) =>
    `| \`${name}\` | ${defaultValue === undefined ? '(unset)' : `\`${defaultValue}\``} | ${doc.replaceAll('|', '\\|')} |`)
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

function envExample (): string {
  return ENV_EXAMPLE_HEADER + variables.map(({ name, defaultValue, doc }) => `\n# ${doc}\n# ${name}=${defaultValue ?? ''}\n`).join('')
}

/** README.md with the lines after TABLE_MARKER, up to the table's end, replaced by the generated table; undefined without the marker. */
function readmeWithTable (readme: string): string | undefined {
  const lines = readme.split('\n')
  const marker = lines.indexOf(TABLE_MARKER)
  if (marker === -1) return undefined
  let end = marker + 1
  while (lines[end]?.startsWith('|') === true) end++
  return [...lines.slice(0, marker + 1), readmeTable(), ...lines.slice(end)].join('\n')
}

const check = process.argv.includes('--check')
const readmeNow = readFileSync(join(ROOT, 'README.md'), 'utf8')
const readme = readmeWithTable(readmeNow)
if (readme === undefined) {
  process.stderr.write(`README.md has no line "${TABLE_MARKER}": put it where the configuration table goes\n`)
  process.exit(1)
}
// Every file's new content is computed before the first write.
const stale = [
  { path: 'README.md', current: readmeNow, wanted: readme },
  { path: '.env.example', current: readFileSync(join(ROOT, '.env.example'), 'utf8'), wanted: envExample() },
].filter(({ current, wanted }) => current !== wanted)
const staleNames = stale.map(({ path }) => path).join(' and ')

if (check) {
  if (stale.length > 0) {
    process.stderr.write(`${staleNames} ${stale.length === 1 ? 'does' : 'do'} not match src/config/schema.ts: run npm run docs:config\n`)
    process.exit(1)
  }
} else {
  for (const { path, wanted } of stale) {
    // Write beside, then rename over: the file is either old or new, never torn.
    writeFileSync(join(ROOT, `${path}.docs-config-tmp`), wanted)
    renameSync(join(ROOT, `${path}.docs-config-tmp`), join(ROOT, path))
  }
}
process.stdout.write(stale.length === 0
  ? `README.md and .env.example match src/config/schema.ts (${variables.length} variables)\n`
  : `Wrote ${staleNames} from src/config/schema.ts (${variables.length} variables)\n`)
