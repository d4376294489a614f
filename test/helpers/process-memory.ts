import { readFileSync } from 'node:fs'

/**
 * The V8 heap Node sizes for Cloud Run's default instance: inside a 512 MiB
 * memory cgroup, Node reads the limit and V8's heap_size_limit comes out at
 * 271,581,184 bytes, the same as with these two flags. On a large test
 * machine V8 would otherwise grow its young generation to 64–128 MB under
 * any load, hiding what the service itself holds. For NODE_OPTIONS.
 */
export const CLOUD_RUN_512_MIB_HEAP = '--max-semi-space-size=1 --max-old-space-size=256'

/** A process's resident set size, from /proc (Linux). */
export function rssMiB (pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
}
