// The last line of defence against a leaked secret: every log line is
// searched for the secret values read at boot, and each one found is replaced,
// whatever field it is in (a header, a URL, an error's message or cause).
// Redaction by path (cloud-logging.ts) catches the fields we know about; this
// catches the ones nobody thought of.

export const CENSORED = '[REDACTED]'

/**
 * Values shorter than this are not searched for: they would match ordinary
 * words and numbers ("true", "8080") all over the logs, and no real key or
 * password is that short. Config errors never echo a secret of any length
 * (load-config.ts).
 */
const MIN_CENSORED_LENGTH = 8

/** A function that takes one serialized log line and returns it with every known secret value censored. */
export function createCensor (values: Iterable<string>): ((line: string) => string) | undefined {
  const forms = new Set<string>()
  for (const value of values) {
    if (value.length < MIN_CENSORED_LENGTH) continue
    forms.add(value)
    // In a JSON line, quotes, backslashes and control characters appear escaped.
    forms.add(JSON.stringify(value).slice(1, -1))
  }
  if (forms.size === 0) return undefined
  // Longest first, so that a value containing another is censored whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length)
  return (line) => {
    let censored = line
    for (const form of ordered) {
      if (censored.includes(form)) censored = censored.replaceAll(form, CENSORED)
    }
    return censored
  }
}
