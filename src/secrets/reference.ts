// Berglas's reference syntax for Secret Manager, which Cloud Run users know:
// sm://PROJECT/SECRET#VERSION  (https://github.com/GoogleCloudPlatform/berglas)

const REFERENCE_PREFIX = 'sm://'

export interface SecretReference {
  /** `projects/PROJECT/secrets/SECRET/versions/VERSION`, as sent to AccessSecretVersion. */
  resourceName: string
  project: string
  secret: string
  version: string
  /** False when the reference named no version and `latest` is used. */
  pinned: boolean
}

// Project IDs: 6–30 lower-case letters, digits and hyphens; a project number
// is accepted too. Secret IDs: up to 255 letters, digits, `_` and `-`.
// Versions: a number, `latest`, or an alias.
// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
const PROJECT = /^([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})$/
const SECRET = /^[\w-]{1,255}$/
const VERSION = /^(latest|[1-9]\d{0,18}|[a-zA-Z][\w-]{0,62})$/

export function isSecretReference (value: string): boolean {
  return value.startsWith(REFERENCE_PREFIX)
}

/**
 * Parses an `sm://` reference. Throws a message saying what is wrong: the
 * caller adds the variable's name. The message repeats the reference, which
 * names a secret but is not one.
 */
export function parseSecretReference (value: string): SecretReference {
  const body = value.slice(REFERENCE_PREFIX.length)
  const hash = body.indexOf('#')
  const path = hash === -1 ? body : body.slice(0, hash)
  const version = hash === -1 ? 'latest' : body.slice(hash + 1)
  const [project = '', secret = '', ...rest] = path.split('/')
  const expected = 'expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION'
  if (rest.length > 0 || secret === '') throw new Error(`${expected}, got ${JSON.stringify(value)}`)
  if (!PROJECT.test(project)) throw new Error(`has an invalid project ID ${JSON.stringify(project)} (${expected})`)
  if (!SECRET.test(secret)) throw new Error(`has an invalid secret ID ${JSON.stringify(secret)} (${expected})`)
  if (!VERSION.test(version)) throw new Error(`has an invalid version ${JSON.stringify(version)}: use a number, latest or an alias`)
  return {
    resourceName: `projects/${project}/secrets/${secret}/versions/${version}`,
    project,
    secret,
    version,
    pinned: hash !== -1,
  }
}
