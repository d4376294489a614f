// Loaded only by `await import()` in secret-manager.ts, when a variable holds
// an sm:// reference.
// A module of its own, re-exporting, because in the split bundle
// (scripts/build.ts) `await import()` of a CommonJS package yields only its
// default export; a static re-export goes through esbuild's interop, and works
// the same unbundled.
export { SecretManagerServiceClient } from '@google-cloud/secret-manager'
export { grpc } from 'google-gax'
