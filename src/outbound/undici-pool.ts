// Loaded only by `await import()` in create-outbound-client.ts, when a
// dependency such as UPSTREAM_URL is configured.
// A module of its own, re-exporting, because in the split bundle
// (scripts/build.ts) `await import()` of a CommonJS package yields only its
// default export; a static re-export goes through esbuild's interop, and works
// the same unbundled.
export { Pool } from 'undici'
