import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it, onTestFinished } from 'vitest'
import { errors } from '../../src/errors/catalogue.ts'
import { Contract } from '../helpers/openapi-contract.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string }

function npmRunOpenapi (cwd: string, ...args: string[]) {
  const result = spawnSync('npm', ['run', '-s', 'openapi', '--', ...args], { cwd, encoding: 'utf8' })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** What `npm run openapi` reads and writes, in a folder of its own, with the project's node_modules. */
function scratchCopy (): string {
  const copy = mkdtempSync(join(tmpdir(), 'openapi-'))
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }))
  for (const path of ['package.json', 'src', 'scripts/openapi.ts', 'scripts/openapi', 'openapi.json']) {
    cpSync(join(ROOT, path), join(copy, path), { recursive: true })
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

/** Every Schema Object in the document, with where it is. */
function schemasOf (contract: Contract): Array<[string, object]> {
  const { document } = contract
  const found: Array<[string, object]> = Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [`components.schemas.${name}`, schema])
  const responses = [
    ...Object.entries(document.components?.responses ?? {}).map(([name, response]) => [`components.responses.${name}`, response] as const),
    ...contract.operations().flatMap(({ name, operation }) => Object.entries(operation.responses ?? {}).map(([status, response]) => [`${name} ${status}`, response] as const)),
  ]
  for (const [where, response] of responses) {
    if ('$ref' in response) continue
    for (const [header, object] of Object.entries(response.headers ?? {})) if (!('$ref' in object) && object.schema !== undefined) found.push([`${where} header ${header}`, object.schema])
    for (const [mediaType, media] of Object.entries(response.content ?? {})) if (media.schema !== undefined) found.push([`${where} ${mediaType}`, media.schema])
  }
  return found
}

/** What npm run openapi says of the committed document: its paths and operations, as the routes define them. */
const SUMMARY = (() => {
  const { paths } = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as { paths: Record<string, object> }
  const operations = Object.values(paths).reduce((sum, pathItem) => sum + Object.keys(pathItem).length, 0)
  return `${Object.keys(paths).length} paths, ${operations} operations`
})()

describe('openapi.json', () => {
  it('when a route or its schema changes, then openapi.json must be regenerated with npm run openapi', () => {
    expect(npmRunOpenapi(ROOT, '--check')).toStrictEqual({ status: 0, stdout: `openapi.json matches the route schemas (${SUMMARY})\n`, stderr: '' })
  })

  it('when a route\'s schema changes, then --check fails until npm run openapi rewrites the document, which then holds the change', () => {
    const copy = scratchCopy()
    const route = join(copy, 'src/routes/health.ts')
    const before = readFileSync(route, 'utf8')
    expect(before).toContain("summary: 'Liveness probe'")
    writeFileSync(route, before.replace("summary: 'Liveness probe'", "summary: 'Is the process alive?'"))

    expect(npmRunOpenapi(copy, '--check')).toStrictEqual({ status: 1, stdout: '', stderr: 'openapi.json does not match the route schemas: run npm run openapi\n' })
    expect(npmRunOpenapi(copy)).toStrictEqual({ status: 0, stdout: `Wrote openapi.json from the route schemas (${SUMMARY})\n`, stderr: '' })
    const document = JSON.parse(readFileSync(join(copy, 'openapi.json'), 'utf8')) as { paths: Record<string, Record<string, { summary?: string }>> }
    expect(document.paths['/health']?.get?.summary).toBe('Is the process alive?')
    expect(npmRunOpenapi(copy, '--check')).toStrictEqual({ status: 0, stdout: `openapi.json matches the route schemas (${SUMMARY})\n`, stderr: '' })
  })

  it('when an OpenAPI 3.1 validator reads it, then it is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(join(ROOT, 'openapi.json'))
    expect(result).toStrictEqual({ valid: true })
    expect(validator.version).toBe('3.1')
  })

  it('when Ajv compiles each of its schemas as JSON Schema 2020-12, in strict mode, then none is malformed or has an unknown keyword', () => {
    const contract = new Contract()
    const schemas = schemasOf(contract)
    expect(schemas.length).toBeGreaterThan(30)
    const failures = schemas.flatMap(([where, schema]) => {
      try {
        contract.validator(schema)
        return []
      } catch (error) {
        return [`${where}: ${(error as Error).message}`]
      }
    })
    expect(failures).toStrictEqual([])
  })

  it('when a consumer switches on code, then ErrorResponse lists every code the service can send, and each response only codes of its own status', () => {
    const contract = new Contract()
    const bootOnly: string[] = [errors.CONFIG_INVALID.code, errors.SECRET_UNRESOLVED.code]
    const errorResponse = contract.document.components?.schemas?.ErrorResponse as { properties: { code: { enum: string[] } } }
    expect(errorResponse.properties.code.enum).toStrictEqual(Object.values(errors).map(({ code }) => code).filter((code) => !bootOnly.includes(code)))

    const statusOf = new Map<string, number>(Object.values(errors).map(({ code, statusCode }) => [code, statusCode]))
    const mismatches: string[] = []
    const check = (where: string, status: number | undefined, response: unknown) => {
      const codes = (response as { content?: { 'application/json'?: { schema?: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } } } })
        .content?.['application/json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? []
      const statuses = new Set(codes.map((code) => statusOf.get(code)))
      if (statuses.size > 1 || (status !== undefined && codes.length > 0 && !statuses.has(status))) mismatches.push(`${where}: ${codes.join(', ')}`)
    }
    for (const [name, response] of Object.entries(contract.document.components?.responses ?? {})) check(`components.responses.${name}`, undefined, response)
    for (const { name, operation } of contract.operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) check(`${name} ${status}`, Number(status), response)
    }
    expect(mismatches).toStrictEqual([])
  })

  it('when the service is renamed or released, then the document carries its name and version from package.json', () => {
    const { info } = new Contract().document
    expect({ title: info.title, version: info.version }).toStrictEqual({ title: PKG.name, version: PKG.version })
  })
})
