import { constants, fstatSync, openSync, writevSync } from 'node:fs'

// Where log lines go: stdout, in order and promptly, without ever blocking
// the event loop. A log line used to be a synchronous write(2). When the
// reader of stdout falls behind (a logging agent under pressure, a slow
// pipe), the pipe fills and such a write blocks the whole process: no
// request is served and no connection accepted until the reader catches up.
//
// - Lines written during one turn of the event loop go out together at the
//   end of that turn (setImmediate): one write(2) for many lines under load,
//   and at low traffic a line is in the kernel microseconds after it was
//   logged, before Cloud Run throttles the CPU between requests.
// - A pipe is written without blocking: when it is full, lines wait here and
//   are retried every few milliseconds, and the process carries on serving.
// - What waits is bounded by MAX_QUEUED_BYTES. Past it, lines are dropped
//   and counted, and a WARNING with the count goes out as soon as the queue
//   has emptied: availability before completeness, and memory stays flat.
// - Every exit writes what is queued, synchronously (flushSync, called from
//   server.ts on the process's 'exit' event): SIGTERM, a second signal, the
//   drain deadline, an uncaught exception, a failed boot and any
//   process.exit(). Nothing is ever in flight elsewhere, so nothing written
//   before the exit is lost or overtaken.

/** Bytes of log lines waiting to be written, at most (characters, for lines not yet encoded). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024
/** How soon a full pipe is tried again. */
const RETRY_MS = 5
/** How long an exit waits for a full pipe before giving up on the rest: Cloud Run's SIGKILL comes 10 s after SIGTERM. */
const EXIT_FLUSH_TIMEOUT_MS = 1_000

export interface StdoutSink {
  /** Queues one line (pino calls this). */
  write: (line: string) => boolean
  /** Writes everything queued now, waiting (up to a second) for a full pipe. */
  flushSync: () => void
  /** pino's logger.flush(): writes what is queued, then calls back. */
  flush: (callback?: (error?: Error) => void) => void
}

export interface StdoutSinkOptions {
  /** The file descriptor written to; stdout unless a test says otherwise. */
  fd?: number
  /** The line that reports dropped lines, in the log's own format. */
  dropNotice: (droppedLines: number) => string
}

interface HandleWithBlocking { setBlocking?: (blocking: boolean) => number }

/**
 * A descriptor that a full pipe cannot block.
 * - A pipe (Docker and most runtimes) is reopened through /proc with
 *   O_NONBLOCK, which gives this process a file description of its own:
 *   making fd 1 itself non-blocking would change it for every process that
 *   shares the pipe (npm, a shell).
 * - A socket (what a Node.js parent gives a child for 'pipe') cannot be
 *   reopened; its description is this process's own, so it is made
 *   non-blocking through Node's own stdout handle (libuv's
 *   uv_stream_set_blocking), which every later user of process.stdout shares.
 * - A file or a terminal is written as it is: it does not wait on a reader.
 */
function openForWriting (fd: number): number {
  try {
    const stat = fstatSync(fd)
    if (process.platform === 'linux' && stat.isFIFO()) {
      return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK)
    }
    if (fd === 1 && stat.isSocket()) {
      // _handle is Node's libuv stream; setBlocking is its uv_stream_set_blocking.
      (process.stdout as unknown as { _handle?: HandleWithBlocking })._handle?.setBlocking?.(false)
    }
  } catch {
    // No /proc, or no reader: write to the descriptor as it is.
  }
  return fd
}

function sleepSync (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function createStdoutSink ({ fd = 1, dropNotice }: StdoutSinkOptions): StdoutSink {
  const target = openForWriting(fd)
  /** Lines logged since the last write, not yet encoded. */
  let queued = ''
  /** Encoded lines a full pipe did not take, oldest first; written with writev, never copied again. */
  const unwritten: Buffer[] = []
  let unwrittenBytes = 0
  let dropped = 0
  let scheduled = false
  let broken = false

  /** Writes as much as the pipe takes now. Returns false when it is full. */
  function writeOut (): boolean {
    if (queued !== '') {
      const bytes = Buffer.from(queued)
      unwritten.push(bytes)
      unwrittenBytes += bytes.length
      queued = ''
    }
    while (unwritten.length > 0) {
      let written: number
      try {
        written = writevSync(target, unwritten)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false
        // EPIPE and the like: nobody reads stdout any more, so nothing can be.
        broken = true
        unwritten.length = 0
        unwrittenBytes = 0
        return true
      }
      unwrittenBytes -= written
      while (written > 0) {
        const first = unwritten[0] as Buffer
        if (written < first.length) {
          unwritten[0] = first.subarray(written)
          break
        }
        written -= first.length
        unwritten.shift()
      }
    }
    if (dropped > 0) {
      queued = dropNotice(dropped)
      dropped = 0
      return writeOut()
    }
    return true
  }

  function flushQueued (): void {
    scheduled = false
    if (broken) return
    if (!writeOut()) {
      scheduled = true
      setTimeout(flushQueued, RETRY_MS).unref()
    }
  }

  return {
    write (line) {
      if (broken) return true
      if (queued.length + line.length + unwrittenBytes > MAX_QUEUED_BYTES) {
        dropped++
        return false
      }
      queued += line
      if (!scheduled) {
        scheduled = true
        setImmediate(flushQueued)
      }
      return true
    },
    flushSync () {
      const deadline = performance.now() + EXIT_FLUSH_TIMEOUT_MS
      while (!broken && !writeOut() && performance.now() < deadline) sleepSync(1)
    },
    flush (callback) {
      if (!broken) writeOut()
      callback?.()
    },
  }
}
