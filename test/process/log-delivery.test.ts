import { describe, expect, it } from 'vitest'
import { runLoad } from '../../scripts/loadtest/run.ts'
import { summarise } from '../../scripts/loadtest/summary.ts'
import { builtServer } from '../helpers/built-server.ts'
import { CLOUD_RUN_512_MIB_HEAP, rssMiB } from '../helpers/process-memory.ts'
import { spawnServer, startServerProcess, type ServerProcess } from '../helpers/spawn-server.ts'

// Log lines leave through src/logging/stdout-sink.ts: in order, promptly,
// never blocking the event loop, and written out on every way the process
// ends. Each test reads the child's stdout to its end (the 'close' of the
// pipe) and looks for the lines there.

const SLOW_SERVER = 'test/fixtures/server-with-slow-route.ts'
const NUMBERED = 2_000

function numberedLines (server: ServerProcess): number[] {
  return server.logs().filter((line) => typeof line.line === 'number').map((line) => line.line as number)
}

describe('log lines on the way out of the process', () => {
  it.each([
    ['process.exit(3)', 'exit', 3, 'numbered line 1999'],
    ['an uncaught exception', 'exception', 1, 'Shutdown complete'],
    ['an unhandled rejection', 'rejection', 1, 'Shutdown complete'],
  ])('when the process ends by %s with 2,000 lines logged in the same tick, then every one of them reaches stdout, in order, before the last line', async (_way, kind, exitCode, lastMessage) => {
    const server = await startServerProcess({}, SLOW_SERVER)
    await fetch(`http://127.0.0.1:${server.port}/crash?kind=${kind}&lines=${NUMBERED}`)
    expect(await server.exited).toBe(exitCode)
    expect(numberedLines(server)).toStrictEqual(Array.from({ length: NUMBERED }, (_, index) => index))
    expect(server.logs().at(-1)?.message).toBe(lastMessage)
    expect(server.stdout().endsWith('\n')).toBe(true)
  })

  it('when boot fails, then its one CRITICAL line is the last thing on stdout', async () => {
    const server = spawnServer({ PORT: 'not-a-port' }, builtServer())
    expect(await server.exited).toBe(1)
    expect(server.logs()).toMatchObject([{ severity: 'CRITICAL', code: 'SVC_CONFIG_INVALID' }])
    expect(server.stdout().endsWith('\n')).toBe(true)
  })

  it('when nobody reads stdout for seconds under load, then the server keeps serving, the lines it could not hold are dropped and counted in one WARNING, and every request is either logged or counted', async () => {
    const server = await startServerProcess({ LOG_REQUESTS: 'true', NODE_OPTIONS: CLOUD_RUN_512_MIB_HEAP }, builtServer())
    const pid = server.child.pid as number
    const rssBefore = rssMiB(pid)
    // The pipe fills (64 KB) and stays full: the reader has stopped.
    server.child.stdout?.pause()
    const summary = summarise(await runLoad({
      url: new URL(`http://127.0.0.1:${server.port}/`),
      connections: 20,
      // Long enough to log more than the 8 MB the sink will hold.
      durationSeconds: 12,
      rate: undefined,
      headers: {},
      timeoutSeconds: 10,
      progress: undefined,
      label: '',
    }))
    const rssBlocked = rssMiB(pid)
    expect({ non2xx: summary.non2xx, errors: summary.errors }).toStrictEqual({ non2xx: 0, errors: 0 })
    // The same load with stdout read grows RSS by about 40 MB here; the
    // sink holds at most 8 MB more. A queue without a bound would hold all
    // of it (about 330 bytes a request).
    expect(rssBlocked - rssBefore).toBeLessThan(70)

    server.child.stdout?.resume()
    const notice = await server.waitForLog((line) => line.event === 'log_lines_dropped')
    expect(notice).toMatchObject({ severity: 'WARNING', message: expect.stringMatching(/^Dropped \d+ log lines: stdout was not read fast enough to take them$/) })
    const dropped = notice.droppedLines as number
    expect(dropped).toBeGreaterThan(0)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    // Every request the server answered is a line written or a line counted.
    // autocannon stops counting with one request in flight per connection,
    // which the server still answers and logs.
    const requestLines = server.logs().filter((line) => line.httpRequest !== undefined).length
    expect(requestLines + dropped).toBeGreaterThanOrEqual(summary.status2xx)
    expect(requestLines + dropped).toBeLessThanOrEqual(summary.status2xx + 20)
    expect(server.logs().at(-1)?.message).toBe('Shutdown complete')
  }, 45_000)
})
