import { invalidConfiguration, type ConfigProblem } from '../config/load-config.ts'
import { schema } from '../config/schema.ts'
import { errors } from '../errors/catalogue.ts'
import { ServiceError } from '../errors/service-error.ts'
import { FILE_SUFFIX, fileFix, readSecretFile, withoutTrailingNewline } from './file-secrets.ts'
import { fixFor } from './fix-advice.ts'
import { isSecretReference, parseSecretReference, type SecretReference } from './reference.ts'
import { AccessFailure, createSecretManager, type AccessPolicy } from './secret-manager.ts'

// Runs before loadConfig: turns secret references in the environment into
// values, so that the config schema validates real values and never sees
// where they came from. Never logs, and never puts a value in an error.
// Not a Fastify plugin, unlike other clients ("One plugin per concern" in
// docs/architecture.md): the app is built from the config, and the config
// needs the secrets first. The client it uses lives only for the boot and is
// closed before the server listens.

type Env = Readonly<Record<string, string | undefined>>

export interface ResolveOptions {
  /** Deadlines and retries for Secret Manager; tests shorten them. */
  policy?: AccessPolicy
}

export interface BootNotice {
  level: 'info' | 'warn'
  fields: Record<string, unknown>
  message: string
}

export interface ResolvedSecrets {
  /** A copy of the environment with every reference replaced by its value. */
  env: Record<string, string | undefined>
  /** The values read, so the logger can censor them wherever they appear. */
  values: string[]
  /** The variables those values went to, so config errors never echo them. */
  variables: string[]
  /** For the logger, once it exists: warnings about unpinned versions, and what was resolved. */
  notices: BootNotice[]
}

interface Source { variable: string, reference?: SecretReference, file?: string }

/** Finds every reference and every NAME_FILE; bad ones are config errors, reported together. */
function findSources (env: Env): { sources: Source[], emulatorHost: string | undefined } {
  const problems: ConfigProblem[] = []
  const sources: Source[] = []
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || !isSecretReference(value)) continue
    try {
      sources.push({ variable, reference: parseSecretReference(value) })
    } catch (error) {
      problems.push({ variable, reason: (error as Error).message })
    }
  }
  // Only the schema's variables: another program's FOO_FILE is not ours to read.
  for (const variable of Object.keys(schema)) {
    const file = env[`${variable}${FILE_SUFFIX}`]
    if (file === undefined || file === '') continue
    if (env[variable] !== undefined && env[variable] !== '') {
      problems.push({ variable, reason: `and ${variable}${FILE_SUFFIX} are both set: set only one` })
    } else {
      sources.push({ variable, file })
    }
  }
  let emulatorHost: string | undefined
  const rawHost = env.SECRET_MANAGER_EMULATOR_HOST
  if (rawHost !== undefined && rawHost !== '') {
    try {
      emulatorHost = schema.SECRET_MANAGER_EMULATOR_HOST.parse(rawHost)
    } catch (error) {
      problems.push({ variable: 'SECRET_MANAGER_EMULATOR_HOST', reason: (error as Error).message })
    }
  }
  if (problems.length > 0) throw invalidConfiguration(problems)
  return { sources, emulatorHost }
}

async function readFiles (sources: Source[]) {
  return Promise.allSettled(sources.map(async ({ file }) => readSecretFile(file as string)))
}

async function accessAll (references: SecretReference[], emulatorHost: string | undefined, policy: AccessPolicy | undefined) {
  if (references.length === 0) return []
  const secretManager = await createSecretManager({ emulatorHost, policy })
  try {
    // One call per distinct version, all at once: boot waits for the slowest, not the sum.
    const calls = new Map<string, Promise<Buffer>>()
    for (const { resourceName } of references) {
      if (!calls.has(resourceName)) calls.set(resourceName, secretManager.access(resourceName))
    }
    return await Promise.allSettled(references.map(({ resourceName }) => calls.get(resourceName) as Promise<Buffer>))
  } finally {
    await secretManager.close()
  }
}

export async function resolveSecrets (env: Env, { policy }: ResolveOptions = {}): Promise<ResolvedSecrets> {
  const startedAt = performance.now()
  const { sources, emulatorHost } = findSources(env)
  const fromFiles = sources.filter((source) => source.file !== undefined)
  const fromSecretManager = sources.filter((source) => source.reference !== undefined)
  const [fileResults, accessResults] = await Promise.all([
    readFiles(fromFiles),
    accessAll(fromSecretManager.map((source) => source.reference as SecretReference), emulatorHost, policy),
  ])

  const resolved = { ...env }
  const values: string[] = []
  const problems: Array<Record<string, unknown>> = []
  fromFiles.forEach(({ variable, file }, index) => {
    const result = fileResults[index]
    if (result?.status === 'fulfilled') {
      resolved[variable] = result.value
      values.push(result.value)
    } else {
      const code = (result?.reason as NodeJS.ErrnoException | undefined)?.code
      problems.push({ variable, file, error: code ?? 'UNKNOWN', fix: fileFix(code) })
    }
  })
  fromSecretManager.forEach(({ variable, reference }, index) => {
    const result = accessResults[index]
    const { resourceName } = reference as SecretReference
    if (result?.status === 'fulfilled') {
      resolved[variable] = withoutTrailingNewline(result.value.toString('utf8'))
      values.push(resolved[variable])
    } else {
      const failure = result?.reason instanceof AccessFailure ? result.reason : new AccessFailure('UNKNOWN', 1, String(result?.reason))
      problems.push({
        variable,
        resource: resourceName,
        grpcStatus: failure.status,
        attempts: failure.attempts,
        detail: failure.detail,
        fix: fixFor(failure.status, reference as SecretReference),
      })
    }
  })

  if (problems.length > 0) {
    const summary = problems.map((p) => p.file === undefined
      ? `${p.variable} (${p.resource}): ${p.grpcStatus}; fix: ${p.fix}`
      : `${p.variable} (file ${p.file}): ${p.error}; fix: ${p.fix}`)
    throw new ServiceError(errors.SECRET_UNRESOLVED, {
      message: `Secrets could not be resolved, so the service will not start: ${summary.join('; ')}`,
      details: { problems },
    })
  }
  return {
    env: resolved,
    values,
    variables: sources.map(({ variable }) => variable),
    notices: noticesFor(sources, performance.now() - startedAt),
  }
}

function noticesFor (sources: Source[], elapsedMs: number): BootNotice[] {
  const notices: BootNotice[] = sources
    .filter(({ reference }) => reference !== undefined && !reference.pinned)
    .map(({ variable, reference }) => {
      const { project, secret, resourceName } = reference as SecretReference
      return {
        level: 'warn',
        fields: { variable, resource: resourceName },
        message: `${variable} uses the latest version of secret ${secret}; pin one (sm://${project}/${secret}#VERSION): ` +
          'Cloud Run instances resolve secrets once, at start, so instances of one revision can run with different versions after a rotation',
      }
    })
  if (sources.length > 0) {
    notices.push({
      level: 'info',
      fields: {
        secrets: sources.map(({ variable, reference, file }) => ({ variable, source: reference?.resourceName ?? `file ${file}` })),
        elapsedMs: Math.round(elapsedMs),
      },
      message: `Resolved ${sources.length} secret${sources.length === 1 ? '' : 's'}`,
    })
  }
  return notices
}
