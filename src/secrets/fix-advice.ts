import type { SecretReference } from './reference.ts'

// gRPC status codes, fixed by the protocol:
// https://grpc.github.io/grpc/core/md_doc_statuscodes.html
// Named here so that reading a failure does not need the gRPC module loaded.
const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const

export type StatusName = typeof STATUS_NAMES[number]

/** The gRPC status name of anything the client threw; UNKNOWN when it carries no status. */
export function statusNameOf (error: unknown): StatusName {
  const { code, message } = (error ?? {}) as { code?: unknown, message?: unknown }
  if (typeof code === 'number') return STATUS_NAMES[code] ?? 'UNKNOWN'
  // google-auth-library throws this, with no status, before any call is made
  // when there are no Application Default Credentials (a laptop without gcloud).
  if (typeof message === 'string' && message.includes('default credentials')) return 'UNAUTHENTICATED'
  return 'UNKNOWN'
}

/** Statuses worth another attempt: the server or the network was briefly unable. */
export function isRetryable (status: StatusName): boolean {
  return status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED'
}

/** One sentence that tells the operator what to do about a failed access. */
export function fixFor (status: StatusName, { project, secret, version }: SecretReference): string {
  const where = `${secret} --project ${project}`
  switch (status) {
    case 'NOT_FOUND':
      return `create the secret or fix the version: gcloud secrets versions list ${where}`
    case 'PERMISSION_DENIED':
      return 'grant roles/secretmanager.secretAccessor on this secret to the service\'s runtime service account: ' +
        `gcloud secrets add-iam-policy-binding ${where} --member serviceAccount:RUNTIME_SA --role roles/secretmanager.secretAccessor`
    case 'FAILED_PRECONDITION':
      return `the version is disabled or destroyed: enable it (gcloud secrets versions enable ${version} --secret ${secret} --project ${project}) or pin an enabled one`
    case 'UNAUTHENTICATED':
      return 'give the process credentials: on Cloud Run its runtime service account; locally gcloud auth application-default login, or SECRET_MANAGER_EMULATOR_HOST'
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
      return 'Secret Manager could not be reached: check the instance\'s egress (VPC connector, firewall, Private Google Access) ' +
        'reaches secretmanager.googleapis.com, or that SECRET_MANAGER_EMULATOR_HOST is right'
    case 'RESOURCE_EXHAUSTED':
      return 'the project is over its Secret Manager access quota: raise the quota or resolve fewer secrets per instance start'
    case 'DATA_LOSS':
      return 'the payload did not match its CRC32C checksum: redeploy, and if it persists add the secret again as a new version'
    case 'INVALID_ARGUMENT':
      return 'the reference was rejected: check the project, secret and version in it'
    default:
      return 'see https://cloud.google.com/secret-manager/docs/troubleshooting'
  }
}
