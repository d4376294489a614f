// Test traffic stays on this machine. Loaded into every test worker (vitest
// setupFiles) and into every server the tests spawn (--import), it refuses any
// TCP connection to a host that is not loopback, before a packet leaves.
import net from 'node:net'

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/

function hostOf (args: unknown[]): string | undefined {
  const [first, second] = args
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as { host?: string, path?: string }
    if (options.path !== undefined) return undefined // a Unix socket
    return options.host ?? 'localhost'
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof second === 'string' ? second : 'localhost'
  }
  return undefined // a Unix socket path
}

const originalConnect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect (this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args)
  if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ''))) {
    throw new Error(`loopback-guard: refused a connection to ${host}; tests may only reach 127.0.0.1 and ::1`)
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect
