import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const SINK = fileURLToPath(new URL('../otlp-sink.ts', import.meta.url))

export interface SinkProcess {
  url: string
  stats: () => Promise<{ exports: number, bytes: number }>
  stop: () => Promise<void>
}

/** Starts bench/otlp-sink.ts as its own process and waits for its port. */
export async function startSink (): Promise<SinkProcess> {
  const child = spawn(process.execPath, [SINK], { stdio: ['pipe', 'pipe', 'inherit'] })
  const [line] = await once(child.stdout.setEncoding('utf8'), 'data') as [string]
  const { port } = JSON.parse(line) as { port: number }
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    stats: async () => await (await fetch(`${url}/stats`)).json() as { exports: number, bytes: number },
    stop: async () => {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}
