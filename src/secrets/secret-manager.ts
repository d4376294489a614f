import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelayMs, type BackoffOptions } from '../outbound/retry-policy.ts'
import { crc32c } from './crc32c.ts'
import { isRetryable, statusNameOf, type StatusName } from './fix-advice.ts'

// The real @google-cloud/secret-manager client, loaded only when a reference
// needs it: importing it costs ~0.2 s of cold start (docs/secrets.md).

export interface AccessPolicy {
  /** Deadline of one AccessSecretVersion call. */
  attemptTimeoutMs: number
  /** Calls in all, the first included. */
  maxAttempts: number
  /** The wait between attempts: the outbound client's exponential backoff with full jitter (src/outbound/retry-policy.ts). */
  backoff: BackoffOptions
}

/**
 * A warm call takes milliseconds, but users report first calls from Cloud
 * Run and Cloud Functions of 2–5 s (googleapis/google-cloud-node#5043) and
 * worse (googleapis/nodejs-secret-manager#176): the first call also opens the
 * channel and fetches a token from the metadata server. Three attempts of
 * 10 s stay far inside Cloud Run's default startup probe (240 s), and an
 * unreachable Secret Manager still fails the revision within ~31 s.
 */
const DEFAULT_ACCESS_POLICY: AccessPolicy = { attemptTimeoutMs: 10_000, maxAttempts: 3, backoff: { baseMs: 200, capMs: 2_000 } }

export interface SecretManagerOptions {
  /** host:port of a plaintext endpoint that needs no credentials (an emulator or a test's fake). */
  emulatorHost?: string | undefined
  policy?: AccessPolicy
}

/** A failed access, with what the operator needs and nothing of the payload. */
export class AccessFailure extends Error {
  readonly status: StatusName
  readonly attempts: number
  readonly detail: string

  constructor (status: StatusName, attempts: number, detail: string) {
    super(`${status} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`)
    this.name = 'AccessFailure'
    this.status = status
    this.attempts = attempts
    this.detail = detail
  }
}

export interface SecretManager {
  /** The payload of one secret version, its checksum verified. */
  access: (resourceName: string) => Promise<Buffer>
  close: () => Promise<void>
}

// dataCrc32c is an int64: a string as this client decodes it, a Long in the type.
interface AccessResponse { payload?: { data?: Uint8Array | string | null, dataCrc32c?: { toString: () => string } | null } | null }

async function createClient (emulatorHost: string | undefined) {
  const { SecretManagerServiceClient, grpc } = await import('./secret-manager-client.ts')
  if (emulatorHost === undefined) return new SecretManagerServiceClient()
  // Plaintext and no credentials, like PUBSUB_EMULATOR_HOST. With sslCreds
  // given, google-gax skips Application Default Credentials entirely, and a
  // fixed universe domain stops it asking the metadata server for one.
  const separator = emulatorHost.lastIndexOf(':')
  return new SecretManagerServiceClient({
    apiEndpoint: emulatorHost.slice(0, separator),
    port: Number(emulatorHost.slice(separator + 1)),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  })
}

function verifiedData (resourceName: string, response: AccessResponse): Buffer {
  const data = Buffer.from(response.payload?.data ?? '')
  const expected = response.payload?.dataCrc32c
  // The server sends a checksum only for versions created with one.
  if (expected !== null && expected !== undefined && Number(expected.toString()) !== crc32c(data)) {
    throw Object.assign(new Error(`checksum mismatch for ${resourceName}`), { code: 15 /* DATA_LOSS */ })
  }
  return data
}

export async function createSecretManager ({ emulatorHost, policy = DEFAULT_ACCESS_POLICY }: SecretManagerOptions = {}): Promise<SecretManager> {
  const client = await createClient(emulatorHost)

  async function access (resourceName: string): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        // retryCodes: [] turns off google-gax's own retries (up to 600 s for
        // this method), so that this loop alone decides, and reports the
        // status that really happened rather than gax's "total timeout".
        const [response] = await client.accessSecretVersion({ name: resourceName }, {
          timeout: policy.attemptTimeoutMs,
          retry: { retryCodes: [] },
        })
        return verifiedData(resourceName, response)
      } catch (error) {
        const status = statusNameOf(error)
        if (!isRetryable(status) || attempt >= policy.maxAttempts) {
          // gRPC's `details` describe the call (a resource name, a reason),
          // never the payload, which only a successful response carries.
          const { details, message } = error as { details?: unknown, message?: unknown }
          throw new AccessFailure(status, attempt, String(details ?? message ?? status))
        }
        // Jitter spreads the retries of instances that start together.
        await sleep(backoffDelayMs(attempt - 1, policy.backoff))
      }
    }
  }

  return {
    access,
    // A client whose channel never opened (no credentials, say) rejects
    // close() with the error its calls already reported; that must not
    // replace the failure that names the variable and the fix.
    close: () => client.close().catch(() => {}),
  }
}
