import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { builtServerMetafile } from '../helpers/built-server.ts'

// The production bundle (scripts/build.ts, as the image builds it) holds
// what src/server.ts needs and nothing that only `npm run openapi` needs.
// esbuild's metafile lists, for every output file (the entry point and each
// chunk), the source files that went into it.

/** Every source file in any output file of the bundle, with the bytes it contributed. */
function bundledInputs (): Array<{ path: string, bytesInOutput: number }> {
  const metafile = JSON.parse(readFileSync(builtServerMetafile(), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }
  return Object.values(metafile.outputs).flatMap(({ inputs }) => Object.entries(inputs).map(([path, { bytesInOutput }]) => ({ path, bytesInOutput })))
}

function packageOf (path: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]
}

describe('the production bundle', () => {
  it('when the service is built for production, then neither @fastify/swagger nor its dependencies, the TypeBox type provider, any TypeBox validator or the error response schemas is in any of its files', () => {
    const inputs = bundledInputs()
    const packages = new Set(inputs.map(({ path }) => packageOf(path)))
    // The check sees what the bundle holds: Fastify, and the TypeBox builders the route schemas use.
    expect(packages).toContain('fastify')
    expect(packages).toContain('typebox')
    for (const absent of ['@fastify/swagger', 'json-schema-resolver', 'yaml', 'openapi-types', '@fastify/type-provider-typebox']) {
      expect(packages.has(absent), absent).toBe(false)
    }
    // The routes declare their errors as catalogue entries; the schemas made from them are for npm run openapi only.
    expect(inputs.filter(({ path }) => path.endsWith('src/schemas/error-response.ts'))).toStrictEqual([])
    // typebox/compile and typebox/value check values at run time; the routes use Fastify's own Ajv instead.
    expect(inputs.filter(({ path, bytesInOutput }) => bytesInOutput > 0 && /node_modules\/typebox\/build\/(?:compile|value)\//.test(path))).toStrictEqual([])
  })
})
