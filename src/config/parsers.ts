// Small, dependency-free parsers for environment variables. Each one takes the
// raw string and either returns the typed value or throws a message that says
// what is wrong; load-config.ts adds the variable's name.

export type Parser<T> = (raw: string) => T

export function integer ({ min, max }: { min: number, max: number }): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) {
      throw new Error(`must be a whole number, got ${JSON.stringify(raw)}`)
    }
    const value = Number(raw)
    if (value < min || value > max) {
      throw new Error(`must be between ${min} and ${max}, got ${value}`)
    }
    return value
  }
}

export function boolean (): Parser<boolean> {
  return (raw) => {
    const normalised = raw.trim().toLowerCase()
    if (['true', '1', 'yes'].includes(normalised)) return true
    if (['false', '0', 'no'].includes(normalised)) return false
    throw new Error(`must be true or false, got ${JSON.stringify(raw)}`)
  }
}

export function oneOf<const T extends string> (allowed: readonly T[]): Parser<T> {
  return (raw) => {
    const value = raw.trim() as T
    if (!allowed.includes(value)) {
      throw new Error(`must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`)
    }
    return value
  }
}

export function text ({ pattern, hint }: { pattern?: RegExp, hint?: string } = {}): Parser<string> {
  return (raw) => {
    if (raw.length === 0) throw new Error('must not be empty')
    if (pattern !== undefined && !pattern.test(raw)) {
      throw new Error(`must be ${hint ?? `a string matching ${pattern}`}, got ${JSON.stringify(raw)}`)
    }
    return raw
  }
}

/**
 * RFC 9110 field-value characters only (no control characters or line
 * breaks; Node refuses the header otherwise, on every request), and no
 * spaces at either end, which a header cannot carry.
 */
function isHeaderValue (value: string): boolean {
  return /^[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/.test(value)
}

/** RFC 9110 token characters: what a header's name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^`|~\w-]+$/

/**
 * A value sent as an HTTP header, such as an API key. Checked at boot, so a
 * bad secret stops the revision rather than failing every call.
 */
export function headerValue (): Parser<string> {
  return (raw) => {
    if (!isHeaderValue(raw)) {
      throw new Error('must be a valid HTTP header value: printable characters, no line breaks, no spaces at either end. ' +
        `Store it without a trailing newline: printf %s "$VALUE" | gcloud secrets versions add SECRET --data-file=-, got ${JSON.stringify(raw)}`)
    }
    return raw
  }
}

/** An absolute URL, kept as the string given (a URL object would make the frozen config mutable). */
export function url ({ protocols = ['http:', 'https:'] }: { protocols?: string[] } = {}): Parser<string> {
  return (raw) => {
    let parsed: URL
    try {
      parsed = new URL(raw)
    } catch {
      throw new Error(`must be an absolute URL, got ${JSON.stringify(raw)}`)
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new Error(`must use ${protocols.join(' or ')}, got ${JSON.stringify(parsed.protocol)}`)
    }
    return raw
  }
}

/** A decimal fraction between 0 and 1, such as a sampling ratio. */
export function ratio (): Parser<number> {
  return (raw) => {
    const value = Number(raw.trim())
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`must be a number between 0 and 1, got ${JSON.stringify(raw)}`)
    }
    return value
  }
}

/** Comma-separated values, trimmed, empty entries dropped. */
export function list ({ pattern, hint }: { pattern: RegExp, hint: string }): Parser<readonly string[]> {
  return (raw) => {
    const values = raw.split(',').map((value) => value.trim()).filter((value) => value !== '')
    const bad = values.find((value) => !pattern.test(value))
    if (bad !== undefined) throw new Error(`must be a comma-separated list of ${hint}, got ${JSON.stringify(bad)}`)
    return Object.freeze(values)
  }
}

/**
 * `key1=value1,key2=value2` with percent-encoded values, the format of
 * OTEL_RESOURCE_ATTRIBUTES (W3C Baggage without properties):
 * https://opentelemetry.io/docs/specs/otel/resource/sdk/#specifying-resource-information-via-an-environment-variable
 */
export function keyValueList (): Parser<Readonly<Record<string, string>>> {
  return (raw) => {
    const entries: Array<[string, string]> = []
    for (const pair of raw.split(',')) {
      if (pair.trim() === '') continue
      const separator = pair.indexOf('=')
      const key = pair.slice(0, separator).trim()
      if (separator < 1 || key === '') throw new Error(`must be key=value pairs separated by commas, got ${JSON.stringify(pair)}`)
      let value: string
      try {
        value = decodeURIComponent(pair.slice(separator + 1).trim())
      } catch {
        throw new Error(`has a badly percent-encoded value for ${key}`)
      }
      entries.push([key, value])
    }
    return Object.freeze(Object.fromEntries(entries))
  }
}

/**
 * Headers as `name1=value1,name2=value2` with percent-encoded values, the
 * format of OTEL_EXPORTER_OTLP_HEADERS:
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables
 * Names are lowercased, as HTTP/2 and gRPC metadata need them. Errors name
 * the header, never its value: these variables carry credentials.
 */
export function headerList (): Parser<Readonly<Record<string, string>>> {
  const pairs = keyValueList()
  return (raw) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(pairs(raw))) {
      if (!HEADER_NAME.test(name)) throw new Error(`has an invalid header name ${JSON.stringify(name)}`)
      if (!isHeaderValue(value)) throw new Error(`has a value for ${name} that is not a valid HTTP header value: printable characters, no line breaks, no spaces at either end`)
      headers[name.toLowerCase()] = value
    }
    return Object.freeze(headers)
  }
}
