import type { ErrorDefinition } from './catalogue.ts'

export interface ServiceErrorOptions {
  /** Replaces the catalogue's default message. A 4xx client sees it; a 5xx client never does. */
  message?: string
  /** The underlying failure, kept for the log only. */
  cause?: unknown
  /** Extra response headers, such as Retry-After. */
  headers?: Record<string, string>
  /** Structured detail for the log line. Never sent to the client. */
  details?: Record<string, unknown>
}

/**
 * An operational error: expected, handled, and described by the catalogue.
 * Anything thrown that is not a ServiceError is treated as a bug.
 */
export class ServiceError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly details: Record<string, unknown> | undefined
  /** What the client may see: the message for a 4xx, only the catalogue's text for a 5xx. */
  readonly clientMessage: string

  constructor (definition: ErrorDefinition, options: ServiceErrorOptions = {}) {
    super(options.message ?? definition.message, { cause: options.cause })
    this.name = 'ServiceError'
    this.code = definition.code
    this.statusCode = definition.statusCode
    this.clientMessage = definition.statusCode < 500 ? this.message : definition.message
    this.headers = options.headers ?? {}
    this.details = options.details
  }
}
