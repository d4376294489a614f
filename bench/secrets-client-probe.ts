// Child process for bench/secrets-boot.ts: a fresh Node measures, in one go,
// loading the Secret Manager client, building it and its first two calls,
// over gRPC (the service's path) or over the REST fallback. Prints one JSON line.
import { SECRET, RESOURCE } from './secrets-fakes.ts'

const transport = process.argv[2]
const host = process.argv[3] ?? ''
const t0 = performance.now()
const cpu0 = process.cpuUsage()
const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager')
const t1 = performance.now()
// CPU time, unlike wall time, barely moves when other processes share the cores.
const importCpu = process.cpuUsage(cpu0)
let client: InstanceType<typeof SecretManagerServiceClient>
if (transport === 'grpc') {
  const { grpc } = await import('google-gax')
  const [address = '', port = ''] = host.split(':')
  client = new SecretManagerServiceClient({ apiEndpoint: address, port: Number(port), sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' })
} else {
  const [address = '', port = ''] = host.split(':')
  // An auth client that adds nothing: the fake needs no token.
  const authClient = { getRequestHeaders: async () => new Headers(), fetch: (url: string, init: RequestInit) => fetch(url, init) }
  client = new SecretManagerServiceClient({ fallback: true, protocol: 'http', apiEndpoint: address, port: Number(port), authClient, universeDomain: 'googleapis.com' } as ConstructorParameters<typeof SecretManagerServiceClient>[0])
}
const t2 = performance.now()
const [first] = await client.accessSecretVersion({ name: RESOURCE })
const t3 = performance.now()
await client.accessSecretVersion({ name: RESOURCE })
const t4 = performance.now()
if (Buffer.from(first.payload?.data ?? '').toString() !== SECRET) throw new Error('wrong payload')
await client.close()
process.stdout.write(JSON.stringify({ importMs: t1 - t0, importCpuMs: (importCpu.user + importCpu.system) / 1_000, constructMs: t2 - t1, firstCallMs: t3 - t2, secondCallMs: t4 - t3 }) + '\n')
