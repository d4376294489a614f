import { isIP } from 'node:net'
import type { IncomingMessage } from 'node:http'

// Who sent a request, as far as the proxies in front can be trusted.
// Google's front end appends the address it received the request from to
// X-Forwarded-For; entries before it are the client's own claims. With
// TRUST_PROXY_HOPS = n, the n nearest hops (the socket's peer first, then
// X-Forwarded-For from its end) are trusted, and the next one is the client:
// proxy-addr's rule, which Fastify's trustProxy follows too.

/** The client's IP address; the socket's peer when the trusted entry is missing or not an IP at all. */
export function clientAddress (request: IncomingMessage, trustedHops: number): string | undefined {
  const peer = request.socket.remoteAddress
  const forwarded = request.headers['x-forwarded-for']
  if (trustedHops === 0 || forwarded === undefined) return peer
  const entries = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',')
  // entries[length - 1] is hop 1, entries[length - 2] hop 2, …; the farthest stands in when there are fewer.
  const candidate = (entries[Math.max(0, entries.length - trustedHops)] ?? '').trim()
  return isIP(candidate) === 0 ? peer : candidate
}

/** http or https, as the client used it: X-Forwarded-Proto from a trusted proxy (its last entry), else the socket's own. */
export function clientScheme (request: IncomingMessage, trustedHops: number): 'http' | 'https' {
  const forwarded = request.headers['x-forwarded-proto']
  if (trustedHops > 0 && typeof forwarded === 'string') {
    const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim().toLowerCase()
    if (last === 'https' || last === 'http') return last
  }
  return (request.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'
}
