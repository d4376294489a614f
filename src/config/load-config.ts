import { schema, SECRET_VARIABLES, type ConfigValues, type Schema } from './schema.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from './service-identity.ts'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'

export interface Config extends ConfigValues {
  /** Name used in responses, logs and Error Reporting: K_SERVICE, else the package name. */
  readonly serviceName: string
  /** Version for Error Reporting's serviceContext: K_REVISION, else the package version. */
  readonly serviceVersion: string
}

export interface ConfigProblem {
  variable: string
  reason: string
}

export interface LoadConfigOptions {
  /** Variables whose values came from a secret (sm://, NAME_FILE): like the schema's secret ones, never echoed. */
  secretVariables?: readonly string[]
}

// Parsers end their messages with ", got <the value>" (parsers.ts). For a
// secret, the sentence stops before the value.
function withoutValue (reason: string): string {
  return `${reason.replace(/, got [\s\S]*$/, '')} (the value is a secret, so it is not shown)`
}

/** The boot failure for bad variables: every problem in one message, each naming its variable. */
export function invalidConfiguration (problems: ConfigProblem[]): ServiceError {
  return new ServiceError(errors.CONFIG_INVALID, {
    message: `Invalid configuration: ${problems.map((p) => `${p.variable} ${p.reason}`).join('; ')}`,
    details: { problems },
  })
}

/**
 * Reads every variable in the schema from `env` once, validates it and returns
 * a frozen, typed object. All problems are collected, so one failed boot names
 * every bad variable rather than the first.
 */
export function loadConfig (env: Readonly<Record<string, string | undefined>>, { secretVariables = [] }: LoadConfigOptions = {}): Config {
  const values: Record<string, unknown> = {}
  const problems: ConfigProblem[] = []
  for (const [name, spec] of Object.entries(schema) as Array<[keyof Schema, Schema[keyof Schema]]>) {
    const raw = env[name]
    if (raw === undefined || raw === '') {
      values[name] = spec.default
      continue
    }
    try {
      values[name] = spec.parse(raw)
    } catch (error) {
      const reason = (error as Error).message
      const secret = SECRET_VARIABLES.includes(name) || secretVariables.includes(name)
      problems.push({ variable: name, reason: secret ? withoutValue(reason) : reason })
    }
  }
  if (problems.length > 0) throw invalidConfiguration(problems)
  const typed = values as ConfigValues
  return Object.freeze({
    ...typed,
    serviceName: typed.K_SERVICE ?? PACKAGE_NAME,
    serviceVersion: typed.K_REVISION ?? PACKAGE_VERSION,
  })
}

/** The values of the schema's secret variables that are set, for the logger to censor: each header's value for a list of headers. */
export function secretValuesOf (config: Config): string[] {
  return SECRET_VARIABLES.flatMap((name) => {
    const value: unknown = config[name]
    if (typeof value === 'string') return [value]
    return typeof value === 'object' && value !== null ? Object.values(value as Record<string, string>) : []
  })
}
