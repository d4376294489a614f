// Cloud Logging bills every byte ingested, and a client controls some of what
// a line says (its URL, its User-Agent): a 15 KB URL once appeared three
// times in the lines of one 404. Fields a client can fill are cut to this.
// A LogEntry may hold 256 KB in all: https://cloud.google.com/logging/quotas

const MAX_LOGGED_FIELD_CHARS = 2_048

/** The value, or its first MAX_LOGGED_FIELD_CHARS characters and how many more there were. */
export function capLoggedField (value: string): string {
  if (value.length <= MAX_LOGGED_FIELD_CHARS) return value
  return `${value.slice(0, MAX_LOGGED_FIELD_CHARS)}… (${value.length - MAX_LOGGED_FIELD_CHARS} more characters)`
}
