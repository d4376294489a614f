import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startFakeSecretManager } from '../helpers/fake-secret-manager.ts'
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts'
import { startServerProcess } from '../helpers/spawn-server.ts'
import { startHttpServer } from '../helpers/http.ts'
import { builtServerDir, builtServerMetafile } from '../helpers/built-server.ts'

const run = promisify(execFile)
const RECORDER = fileURLToPath(new URL('../fixtures/record-loaded-files.ts', import.meta.url))

/** The bundle of this test run (scripts/build.ts, built once outside the project), copied to a fresh folder with no node_modules within reach. */
async function buildAlone (): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'bundle-'))
  onTestFinished(() => rm(outDir, { recursive: true, force: true }))
  await cp(builtServerDir(), outDir, { recursive: true })
  return outDir
}

// The image ships dist/ and nothing else, so the bundle must run on its own.
describe('the esbuild bundle', () => {
  it('when dist/ stands alone, then `node server.js` boots and answers GET / with the greeting', async () => {
    const moved = await buildAlone()
    const server = await startServerProcess({}, join(moved, 'server.js'))
    const response = await fetch(`http://127.0.0.1:${server.port}/`)

    // The entry point, its chunks (with their source maps and licence notes), and nothing else.
    const files = await readdir(moved)
    expect(files.filter((file) => !/^[\w-]+-[A-Z\d]{8}\.js(\.map|\.LEGAL\.txt)?$/.test(file))).toStrictEqual(['package.json', 'server.js', 'server.js.map'])
    expect(await response.text()).toMatch(/^Hello from Cloud Run! Host: .+, Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.logs().at(-1)).toMatchObject({ severity: 'INFO', message: 'Shutdown complete' })
  })

  it('when the bundle boots with the default config, then it reads none of the chunks of the Secret Manager client, gRPC, undici, google-auth-library or the OTLP exporters', async () => {
    const moved = await buildAlone()
    const server = await startServerProcess({ NODE_OPTIONS: `--import=${RECORDER}` }, join(moved, 'server.js'))
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const { loadedModules } = JSON.parse(server.stderr().trim().split('\n').at(-1) ?? '{}') as { loadedModules: string[] }
    const loadedChunks = loadedModules.filter((url) => url.startsWith(`file://${moved}/`)).map((url) => url.slice(`file://${moved}/`.length))
    expect(loadedChunks).toContain('server.js')
    const metafile = JSON.parse(await readFile(builtServerMetafile(), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }
    const packagesIn = (chunk: string) => Object.entries(metafile.outputs)
      .filter(([output]) => output.endsWith(`/${chunk}`))
      .flatMap(([, output]) => Object.keys(output.inputs))
      .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
      .filter((name) => name !== undefined)
    const loadedPackages = new Set(loadedChunks.flatMap(packagesIn))
    // The test saw the bundle's contents: the app's own packages were loaded.
    expect(loadedPackages).toContain('fastify')
    for (const lazy of ['@google-cloud/secret-manager', 'google-gax', '@grpc/grpc-js', 'undici', 'google-auth-library',
      '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-trace-otlp-grpc']) {
      expect(loadedPackages.has(lazy), lazy).toBe(false)
    }
  })

  it('when the bundle runs with tracing, then the server span joins the caller\'s trace and the outbound call\'s span joins it: bundling did not defeat undici\'s instrumentation', async () => {
    const receiver = await startOtlpReceiver()
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((request, response) => {
      received.push(request.headers.traceparent as string | undefined)
      response.setHeader('content-type', 'application/json')
      response.end('{}')
    })
    const outDir = await buildAlone()
    const server = await startServerProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', UPSTREAM_URL: upstream.url }, join(outDir, 'server.js'))
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await fetch(`http://127.0.0.1:${server.port}/upstream`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
    expect(response.status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    // 2 = SERVER (the Fastify hook's), 3 = CLIENT (undici's instrumentation, through Node's diagnostics channels).
    const spans = receiver.spans().map(({ name, kind, traceId, spanId, parentSpanId }) => ({ name, kind, traceId, spanId, parentSpanId }))
    const serverSpan = spans.find((span) => span.kind === 2)
    expect(serverSpan).toMatchObject({ name: 'GET /upstream', traceId, parentSpanId: '00f067aa0ba902b7' })
    const clientSpan = spans.find((span) => span.kind === 3)
    expect(clientSpan).toMatchObject({ name: 'GET', traceId, parentSpanId: serverSpan?.spanId })
    expect(received).toStrictEqual([`00-${traceId}-${clientSpan?.spanId}-01`])
  })

  it('when the bundle boots with an sm:// reference, then the bundled Secret Manager client fetches it with no runtime files', async () => {
    const secretManager = await startFakeSecretManager()
    onTestFinished(() => secretManager.close())
    secretManager.on('projects/my-project/secrets/api-key/versions/3', { value: 'bundled-secret-value' })
    const outDir = await buildAlone()
    const server = await startServerProcess({ SECRET_MANAGER_EMULATOR_HOST: secretManager.host, UPSTREAM_API_KEY: 'sm://my-project/api-key#3' }, join(outDir, 'server.js'))
    expect(secretManager.requests).toStrictEqual(['projects/my-project/secrets/api-key/versions/3'])
    expect((await fetch(`http://127.0.0.1:${server.port}/ready`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).not.toContain('bundled-secret-value')
  })

  it('when the bundle is imported rather than run, then it starts nothing', async () => {
    const outDir = await buildAlone()
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e',
      `const { start } = await import(${JSON.stringify(join(outDir, 'server.js'))}); process.stdout.write(typeof start)`],
    { timeout: 10_000, env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1' } })

    expect({ stdout, stderr }).toStrictEqual({ stdout: 'function', stderr: '' })
  })
})
