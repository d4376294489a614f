import type { Dispatcher } from 'undici'

// An upstream's body, read as text and checked before the circuit breaker
// records the attempt as a success: a body the caller cannot use is the
// upstream's failure, so the breaker must count it. Nothing of the body ever
// goes into an error or a log line (it may echo a key or a user's data); only
// its size and content type do.

/** A 2xx whose body the caller cannot use. */
export class UpstreamBodyError extends Error {
  readonly reason: 'invalid_utf8' | 'invalid_json'
  readonly contentType: string | undefined
  readonly bytes: number

  constructor (reason: UpstreamBodyError['reason'], contentType: string | undefined, bytes: number) {
    super(`Upstream answered 2xx with ${bytes} bytes of ${contentType ?? 'no content type'} that are not ${reason === 'invalid_utf8' ? 'valid UTF-8' : 'JSON'}`)
    this.name = 'UpstreamBodyError'
    this.reason = reason
    this.contentType = contentType
    this.bytes = bytes
  }
}

/** Strict: a malformed byte is an error, not a U+FFFD that silently changes the data. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

function isJson (text: string): boolean {
  // V8 parses iteratively, so even deep nesting cannot overflow the stack here.
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * The body as UTF-8 text. With `json`, a 2xx body must also be JSON (or
 * empty, as a 204 is). Throws UpstreamBodyError otherwise.
 */
export async function readBody (response: Dispatcher.ResponseData, { json }: { json: boolean }): Promise<string> {
  const bytes = new Uint8Array(await response.body.arrayBuffer())
  const contentType = response.headers['content-type']
  const type = Array.isArray(contentType) ? contentType.join(', ') : contentType
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new UpstreamBodyError('invalid_utf8', type, bytes.byteLength)
  }
  const successful = response.statusCode >= 200 && response.statusCode <= 299
  if (json && successful && text !== '' && !isJson(text)) throw new UpstreamBodyError('invalid_json', type, bytes.byteLength)
  return text
}
