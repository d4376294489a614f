import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

// The server under test gets the machine's last CPU to itself, and the bench
// (autocannon, in this process) the others. Left to the scheduler, both
// moved between the two cores of a small machine from one round to the
// next, and the same build measured 46 µs of CPU per request in one round
// and 75 µs in the next. Needs taskset (util-linux); without it, or with one
// CPU, nothing is pinned and the bench says so.

const cpus = availableParallelism()

function hasTaskset (): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const serverCpu = cpus >= 2 && hasTaskset() ? cpus - 1 : undefined
let benchPinned = false

/** The command that starts `node args` on the server's CPU, pinning this process to the others the first time. */
export function pinnedNode (args: string[]): { command: string, args: string[] } {
  if (serverCpu === undefined) return { command: process.execPath, args }
  if (!benchPinned) {
    execFileSync('taskset', ['-a', '-p', '-c', serverCpu > 1 ? `0-${serverCpu - 1}` : '0', String(process.pid)], { stdio: 'ignore' })
    benchPinned = true
  }
  // taskset execs node, so the child's PID is node's own (its /proc CPU time is the server's).
  return { command: 'taskset', args: ['-c', String(serverCpu), process.execPath, ...args] }
}
