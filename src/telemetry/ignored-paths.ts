/** A matcher for TRACE_IGNORED_PATHS: exact paths, query string ignored. */
export function createPathFilter (ignoredPaths: readonly string[]): (url: string | undefined) => boolean {
  const ignored = new Set(ignoredPaths)
  return (url) => url !== undefined && ignored.has(url.split('?', 1)[0] ?? url)
}
