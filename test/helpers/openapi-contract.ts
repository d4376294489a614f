import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'
import type { OpenAPIV3_1 as OpenApi } from 'openapi-types'
import { errors } from '../../src/errors/catalogue.ts'

// openapi.json as a promise that tests can check: whether a response the
// service really sent is one the document describes, body and headers, with
// Ajv in the JSON Schema dialect of OpenAPI 3.1 (2020-12).

export interface ObservedResponse {
  method: string
  /** The request target as sent, query included. */
  target: string
  status: number
  /** Lower-cased names, as a client reads them. */
  headers: Record<string, string>
  body: string
}

export interface Check {
  /** Where the document describes the response: `GET /health 200`, or `components.responses.RouteNotFound`. */
  describedBy: string | undefined
  /** Everything about the response that the document does not allow; empty when it conforms. */
  violations: string[]
}

const SCHEMA_REF = '#/components/schemas/'
const RESPONSE_REF = '#/components/responses/'
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

type Operation = OpenApi.OperationObject
type Response = OpenApi.ResponseObject

/** The copy Ajv gets: `$ref`s to component schemas point at the ids Ajv knows them by (their names). */
function withAjvRefs (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withAjvRefs)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, child]) =>
    [key, key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF) ? child.slice(SCHEMA_REF.length) : withAjvRefs(child)]))
}

/** The catalogue's status for a code: every code of a components.responses entry has the same one. */
const STATUS_BY_CODE = new Map<string, number>(Object.values(errors).map(({ code, statusCode }) => [code, statusCode]))

export class Contract {
  readonly document: OpenApi.Document
  readonly ajv = new Ajv2020({ strict: true, allErrors: true })
  /** Response objects that some checked response matched: what the tests have shown the service really sends. */
  readonly seen = new Set<Response>()
  private readonly validators = new WeakMap<object, ValidateFunction>()

  constructor (path = new URL('../../openapi.json', import.meta.url)) {
    this.document = JSON.parse(readFileSync(path, 'utf8')) as OpenApi.Document
    // ajv-formats is CommonJS; its default export is under .default for TypeScript's view of it.
    ajvFormats.default(this.ajv)
    for (const [name, schema] of Object.entries(this.document.components?.schemas ?? {})) this.ajv.addSchema(withAjvRefs(schema) as object, name)
  }

  /** Compiles a schema of the document (once), in strict mode: an unknown keyword or a malformed schema throws. */
  validator (schema: object): ValidateFunction {
    let validate = this.validators.get(schema)
    if (validate === undefined) {
      validate = this.ajv.compile(withAjvRefs(schema) as object)
      this.validators.set(schema, validate)
    }
    return validate
  }

  resolve (response: Response | OpenApi.ReferenceObject): Response {
    if (!('$ref' in response)) return response
    const resolved = this.document.components?.responses?.[response.$ref.slice(RESPONSE_REF.length)]
    if (resolved === undefined || '$ref' in resolved) throw new Error(`unresolvable ${response.$ref}`)
    return resolved
  }

  /** Every operation: `GET /health` and its object. */
  operations (): Array<{ name: string, path: string, method: string, operation: Operation }> {
    return Object.entries(this.document.paths ?? {}).flatMap(([path, item]) =>
      METHODS.filter((method) => item?.[method] !== undefined).map((method) =>
        ({ name: `${method.toUpperCase()} ${path}`, path, method, operation: item?.[method] as Operation })))
  }

  /** Every response the document declares, resolved, with where it is declared; one declared in components counts once. */
  declaredResponses (): Array<{ where: string, response: Response }> {
    const found = new Map<Response, string>()
    for (const [name, response] of Object.entries(this.document.components?.responses ?? {})) {
      found.set(this.resolve(response), `components.responses.${name}`)
    }
    for (const { name, operation } of this.operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const resolved = this.resolve(response)
        if (!found.has(resolved)) found.set(resolved, `${name} ${status}`)
      }
    }
    return [...found].map(([response, where]) => ({ where, response }))
  }

  private operationFor (method: string, path: string): { name: string, operation: Operation } | undefined {
    return this.operations().find((candidate) => candidate.method === method.toLowerCase() &&
      new RegExp(`^${candidate.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))
  }

  /** The codes an error response may carry: the enum its schema narrows ErrorResponse to. */
  private codesOf (response: Response): string[] {
    const schema = response.content?.['application/json']?.schema as { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } | undefined
    return schema?.allOf?.[1]?.properties?.code?.enum ?? []
  }

  /** Where the document describes this status for this request, if anywhere. */
  private describe (observed: ObservedResponse): { where: string, response: Response } | undefined {
    const path = observed.target.split('?', 1)[0] ?? observed.target
    const matched = this.operationFor(observed.method, path)
    if (matched !== undefined) {
      const response = matched.operation.responses?.[String(observed.status)]
      return response === undefined ? undefined : { where: `${matched.name} ${observed.status}`, response: this.resolve(response) }
    }
    // A request no operation matches: the document's info says these answer it.
    const candidates = Object.entries(this.document.components?.responses ?? {}).map(([name, response]) => ({ where: `components.responses.${name}`, response: this.resolve(response) }))
      .filter(({ response }) => this.codesOf(response).every((code) => STATUS_BY_CODE.get(code) === observed.status))
    if (candidates.length > 1) throw new Error(`components.responses has ${candidates.length} responses for ${observed.status}`)
    return candidates[0]
  }

  /** @param record false: a conforming response does not count as seen (it was not provoked through the route itself). */
  check (observed: ObservedResponse, { record = true } = {}): Check {
    const described = this.describe(observed)
    if (described === undefined) {
      return { describedBy: undefined, violations: [`${observed.method} ${observed.target}: the document describes no ${observed.status} response`] }
    }
    const { where, response } = described
    const violations: string[] = []

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if ('$ref' in header) throw new Error(`${where}: header ${name} is a $ref, which this check does not follow`)
      const value = observed.headers[name.toLowerCase()]
      if (value === undefined) {
        if (header.required === true) violations.push(`${where}: required header ${name} is missing`)
        continue
      }
      const validate = this.validator(header.schema as object)
      if (!validate(value)) violations.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`)
    }

    if (observed.method === 'HEAD' || response.content === undefined) {
      if (observed.body !== '') violations.push(`${where}: the document describes no body, but one was sent: ${JSON.stringify(observed.body.slice(0, 200))}`)
    } else {
      const mediaType = (observed.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
      const media = response.content[mediaType]
      if (media === undefined) {
        violations.push(`${where}: content type ${JSON.stringify(mediaType)} is not one of ${Object.keys(response.content).join(', ')}`)
      } else {
        let body: unknown = observed.body
        const isJson = mediaType === 'application/json' || mediaType.endsWith('+json')
        try {
          if (isJson) body = JSON.parse(observed.body)
        } catch {
          violations.push(`${where}: the body is not JSON: ${JSON.stringify(observed.body.slice(0, 200))}`)
        }
        const validate = this.validator(media.schema as object)
        if (!validate(body)) violations.push(`${where}: body ${JSON.stringify(observed.body.slice(0, 200))}: ${this.ajv.errorsText(validate.errors)}`)
      }
    }
    if (record && violations.length === 0) this.seen.add(response)
    return { describedBy: where, violations }
  }
}
