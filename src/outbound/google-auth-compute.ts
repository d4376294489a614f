// Loaded only by `await import()` in id-token.ts, when UPSTREAM_AUDIENCE is
// set.
// A module of its own, re-exporting, because in the split bundle
// (scripts/build.ts) `await import()` of a CommonJS package yields only its
// default export; a static re-export goes through esbuild's interop, and works
// the same unbundled.
export { Compute } from 'google-auth-library'
