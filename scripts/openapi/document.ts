// The OpenAPI document of the service, built from the route schemas by
// @fastify/swagger, for `npm run openapi` and the tests. It builds the app as
// production does (buildApp), with @fastify/swagger registered before the
// routes, and starts no server. Nothing under src/ imports this file or
// @fastify/swagger, so neither is in the production bundle.
import swagger from '@fastify/swagger'
import type { FastifyPluginAsync, FastifySchema } from 'fastify'
import fp from 'fastify-plugin'
import type { OpenAPIV3_1 as OpenApi } from 'openapi-types'
import pino from 'pino'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/config/service-identity.ts'
import { errors, type ErrorDefinition } from '../../src/errors/catalogue.ts'
import type { TObject } from 'typebox'
import { ERROR_RESPONSE_ID, ErrorResponse, errorResponses } from '../../src/schemas/error-response.ts'

export type OpenApiDocument = OpenApi.Document

/** A response schema as the routes write it (src/routes/), or as errorResponses() makes it (src/schemas/error-response.ts). */
interface RouteResponseSchema {
  description?: string
  /** Each property a header; `required` lists those always sent. */
  headers?: TObject
  /** An error response: [ErrorResponse, its code narrowed]. */
  allOf?: [unknown, unknown]
}

/**
 * Responses that do not belong to one route, with when they happen. A
 * request that matches no operation can get each of them, so they are in
 * components.responses. `operations`: which operations can get one too, and
 * refer to it: every one (the HTTP layer, src/http/, answers before any
 * routing), those whose method has a body (Fastify reads a body for every
 * method but GET, HEAD and TRACE, whether the route's schema has one or not),
 * or none.
 */
const SERVICE_WIDE: Array<{ definition: ErrorDefinition, when: string, operations: 'every' | 'body-methods' | 'none' }> = [
  {
    definition: errors.BAD_REQUEST,
    when: 'A missing, repeated or invalid Host header, a request line or header the HTTP parser rejects, bad percent-encoding in the path, a body that does not parse, or path parameters, a query or a body that the operation\'s schema rejects.',
    operations: 'every',
  },
  {
    definition: errors.REQUEST_TIMEOUT,
    when: 'The headers took more than 10 s, or the whole request more than 30 s, to arrive. The connection is closed.',
    operations: 'every',
  },
  {
    definition: errors.HEADERS_TOO_LARGE,
    when: 'The request line and headers are larger than Node.js accepts (16 KiB unless --max-http-header-size says otherwise). The connection is closed.',
    operations: 'every',
  },
  { definition: errors.ROUTE_NOT_FOUND, when: 'No path of this document matches.', operations: 'none' },
  { definition: errors.METHOD_NOT_ALLOWED, when: 'The path exists, but not with this method; Allow lists the methods it serves.', operations: 'none' },
  {
    definition: errors.PAYLOAD_TOO_LARGE,
    when: 'A body larger than BODY_LIMIT_BYTES, with any method but GET, HEAD and TRACE, even to a path that matches no operation (before its 404 or 405).',
    operations: 'body-methods',
  },
  {
    definition: errors.UNSUPPORTED_MEDIA_TYPE,
    when: 'A Content-Type that does not parse as a media type, with any method but GET, HEAD and TRACE, even to a path that matches no operation (before its 404 or 405); or a body in a media type the operation does not read.',
    operations: 'body-methods',
  },
]

/** BAD_REQUEST → BadRequest: the name of a service-wide response in components.responses. */
function componentName (definition: ErrorDefinition): string {
  const key = Object.entries(errors).find(([, candidate]) => candidate === definition)?.[0] ?? definition.code
  return key.toLowerCase().replace(/(?:^|_)([a-z])/g, (_match, letter: string) => letter.toUpperCase())
}

function headerObjects (headers: TObject): Record<string, OpenApi.HeaderObject> {
  return Object.fromEntries(Object.entries(headers.properties).map(([name, property]) => {
    // As @fastify/swagger does: the description belongs to the header, not its schema.
    const { description, ...schema } = property as { description?: string }
    const required = headers.required?.includes(name) ?? false
    return [name, { ...(description === undefined ? {} : { description }), required, schema: schema as OpenApi.HeaderObject['schema'] }]
  }))
}

/** An error response schema (src/schemas/error-response.ts) as an OpenAPI response object. */
function errorResponseObject (schema: RouteResponseSchema, when: string): OpenApi.ResponseObject {
  const { description, headers, allOf } = schema
  if (allOf === undefined) throw new Error(`not an error response: ${description ?? ''}`)
  return {
    description: `${when} ${description ?? ''}`,
    ...(headers === undefined ? {} : { headers: headerObjects(headers) }),
    content: { 'application/json': { schema: { allOf: [{ $ref: `#/components/schemas/${ERROR_RESPONSE_ID}` }, allOf[1] as OpenApi.SchemaObject] } } },
  }
}

const INFO_DESCRIPTION = [
  'Every error has one shape, ErrorResponse: `{ "code", "message" }`. Match on `code`, never on `message`.',
  'A request that matches no operation can get the responses in components.responses:',
  SERVICE_WIDE.map(({ definition }) => `${definition.statusCode} ${componentName(definition)}`).join(', ') + '.',
  'Generated from the route schemas by `npm run openapi`: do not edit it by hand.',
].join(' ')

function serviceWideResponses (): Record<string, OpenApi.ResponseObject> {
  const schemas: Record<number, RouteResponseSchema | undefined> = errorResponses(SERVICE_WIDE.map(({ definition }) => definition))
  return Object.fromEntries(SERVICE_WIDE.map(({ definition, when }) => {
    const schema = schemas[definition.statusCode]
    if (schema === undefined) throw new Error(`no response schema for ${definition.code}`)
    return [componentName(definition), errorResponseObject(schema, when)]
  }))
}

/**
 * Per route, before @fastify/swagger reads its schema: the errors it declares
 * (`errorResponses`, a key Fastify ignores) join its responses; response
 * headers move to `x-response-headers` (written back as proper header
 * objects, with `required`, by addServiceWideResponses); each description
 * describes the response and not its body too; HEAD responses have no content.
 */
function transformRoute ({ schema, url, route }: { schema: FastifySchema, url: string, route: { method: string | string[] } }): { schema: FastifySchema, url: string } {
  const { errorResponses: declaredErrors = [], ...fastifySchema } = schema
  const response: Record<string, unknown> = {}
  const responseHeaders: Record<string, RouteResponseSchema['headers']> = {}
  const responses: Record<string, RouteResponseSchema> = { ...(schema.response as Record<string, RouteResponseSchema> | undefined), ...errorResponses(declaredErrors) }
  for (const [status, statusSchema] of Object.entries(responses)) {
    const { description, headers, ...body } = statusSchema as RouteResponseSchema & Record<string, unknown>
    if (headers !== undefined) responseHeaders[status] = headers
    // type 'null': @fastify/swagger writes no content for the response.
    response[status] = { 'x-response-description': description, ...(route.method === 'HEAD' ? { type: 'null' } : body) }
  }
  return { schema: { ...fastifySchema, response, 'x-response-headers': responseHeaders } as FastifySchema, url }
}

const BODYLESS_METHODS = new Set(['get', 'head', 'trace'])

/**
 * After @fastify/swagger: each operation's response headers as header
 * objects, and its references to the service-wide responses it can get.
 */
function addServiceWideResponses (document: OpenApiDocument): OpenApiDocument {
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(pathItem ?? {}) as Array<[string, OpenApi.OperationObject & { 'x-response-headers'?: Record<string, RouteResponseSchema['headers']> }]>) {
      for (const [status, headers] of Object.entries(operation['x-response-headers'] ?? {})) {
        const responses = operation.responses ?? {}
        const response = responses[status] as OpenApi.ResponseObject | undefined
        if (response === undefined || headers === undefined) continue
        const { description, content } = response
        // In the order a reader wants them: what it is, then headers, then body.
        responses[status] = { description, headers: headerObjects(headers), ...(content === undefined ? {} : { content }) }
      }
      delete operation['x-response-headers']
      for (const { definition, operations } of SERVICE_WIDE) {
        if (operations === 'none' || (operations === 'body-methods' && BODYLESS_METHODS.has(method))) continue
        operation.responses ??= {}
        operation.responses[definition.statusCode] ??= { $ref: `#/components/responses/${componentName(definition)}` }
      }
    }
  }
  return document
}

/** @fastify/swagger, set up for this service's document; registered before the routes, so that it sees them all. */
const openApiPlugin: FastifyPluginAsync = fp(async function openApi (app) {
  // The { code, message } schema that every error response refers to.
  app.addSchema(ErrorResponse)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: PACKAGE_NAME, version: PACKAGE_VERSION, description: INFO_DESCRIPTION },
      components: { responses: serviceWideResponses() },
    },
    // Every GET route answers HEAD too (Fastify's exposeHeadRoutes).
    exposeHeadRoutes: true,
    // Shared schemas keep their $id as their name: #/components/schemas/ErrorResponse.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    transform: transformRoute,
    transformObject: (documentObject) => addServiceWideResponses((documentObject as { openapiObject: OpenApiDocument }).openapiObject),
  })
})

/** Builds the app with the default configuration and returns its OpenAPI document. */
export async function generateOpenApiDocument (): Promise<OpenApiDocument> {
  const app = await buildApp(loadConfig({}), { logger: pino({ level: 'silent' }), beforeRoutes: [openApiPlugin] })
  try {
    await app.ready()
    return app.swagger() as OpenApiDocument
  } finally {
    await app.close()
  }
}

/** The text of openapi.json. */
export function formatDocument (document: OpenApiDocument): string {
  return JSON.stringify(document, null, 2) + '\n'
}
