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
