// A real gRPC server on loopback that speaks Secret Manager's protocol, built
// from the .proto files the client package ships. Tests point the real
// @google-cloud/secret-manager client at it via SECRET_MANAGER_EMULATOR_HOST.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { crc32c } from '../../src/secrets/crc32c.ts'

const require = createRequire(import.meta.url)
const SECRET_MANAGER_PROTOS = join(dirname(require.resolve('@google-cloud/secret-manager/package.json')), 'build/protos')
// google/api, google/iam and google/protobuf imports come with google-gax.
const GAX_PROTOS = join(dirname(require.resolve('google-gax')), '../../build/protos')

/** What the fake does with one request for a resource name. */
export type Behaviour =
  | { value: string | Buffer, crc32c?: 'correct' | 'wrong' | 'absent' }
  | { fail: grpc.status, message?: string }
  | { hang: true }

export interface FakeSecretManager {
  /** host:port, for SECRET_MANAGER_EMULATOR_HOST. */
  host: string
  /** Resource names requested so far, in arrival order. */
  requests: string[]
  /** The behaviours for a resource name, used in order; the last one repeats. */
  on: (resourceName: string, ...behaviours: Behaviour[]) => void
  /** Holds every answer until this many requests have arrived: proof that they were sent in parallel. */
  holdUntil: (requestCount: number) => void
  close: () => Promise<void>
}

interface AccessCall { request: { name: string } }
type AccessCallback = (error: grpc.ServiceError | null, response?: unknown) => void

function loadService (): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [SECRET_MANAGER_PROTOS, GAX_PROTOS],
    keepCase: true,
    longs: String,
    defaults: false,
  })
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } }
  }
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service
}

export async function startFakeSecretManager (): Promise<FakeSecretManager> {
  const requests: string[] = []
  const behaviours = new Map<string, Behaviour[]>()
  const held: Array<() => void> = []
  let holdCount = 0
  const pendingHangs = new Set<AccessCallback>()

  function answer (name: string, callback: AccessCallback): void {
    const queue = behaviours.get(name) ?? [{ fail: grpc.status.NOT_FOUND, message: `Secret [${name}] not found or has no versions.` }]
    const behaviour = (queue.length > 1 ? queue.shift() : queue[0]) as Behaviour
    if ('hang' in behaviour) {
      pendingHangs.add(callback)
      return
    }
    if ('fail' in behaviour) {
      callback(Object.assign(new Error(behaviour.message ?? grpc.status[behaviour.fail]), {
        code: behaviour.fail,
        details: behaviour.message ?? grpc.status[behaviour.fail] ?? '',
        metadata: new grpc.Metadata(),
      }))
      return
    }
    const data = Buffer.from(behaviour.value)
    const checksum = crc32c(data)
    const payload: Record<string, unknown> = { data }
    if (behaviour.crc32c !== 'absent') payload.data_crc32c = String(behaviour.crc32c === 'wrong' ? (checksum + 1) % 2 ** 32 : checksum)
    callback(null, { name, payload })
  }

  const server = new grpc.Server()
  server.addService(loadService(), {
    AccessSecretVersion ({ request }: AccessCall, callback: AccessCallback) {
      requests.push(request.name)
      if (requests.length < holdCount) {
        held.push(() => answer(request.name, callback))
        return
      }
      for (const release of held.splice(0)) release()
      answer(request.name, callback)
    },
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error === null) resolve(boundPort)
      else reject(error)
    })
  })

  return {
    host: `127.0.0.1:${port}`,
    requests,
    on (resourceName, ...list) { behaviours.set(resourceName, list) },
    holdUntil (requestCount) { holdCount = requestCount },
    close: () => new Promise<void>((resolve) => {
      pendingHangs.clear()
      server.forceShutdown()
      resolve()
    }),
  }
}
