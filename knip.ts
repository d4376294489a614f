import type { KnipConfig } from 'knip'

// `npm run lint` runs knip: an export nothing imports, a file nothing reaches
// and a dependency nothing uses fail the lint, so that they are deleted
// rather than left to mislead the next reader. https://knip.dev/reference/configuration
const config: KnipConfig = {
  // src/server.ts is found through package.json's scripts (dev), and so are
  // the vitest config and the test files, through knip's vitest plugin.
  entry: [
    // npm scripts, the benchmarks and their one-off measurements.
    'scripts/*.{ts,mjs}',
    'bench/*.ts',
    // Servers the process tests start as child processes, by path.
    'test/fixtures/*.ts',
    // The container test's own vitest config (test-container/run.sh passes it with --config).
    'test-container/vitest.config.ts',
  ],
  project: ['src/**/*.ts', 'scripts/**/*.{ts,mjs}', 'bench/**/*.ts', 'test/**/*.ts', 'test-container/**/*.ts'],
  // A type exported beside the function whose signature uses it (a plugin's
  // options, a client's request) documents that function, even when no other
  // file names it. Exported values get no such pass.
  ignoreExportsUsedInFile: { interface: true, type: true },
  // pino loads it by name, from a string, for LOG_PRETTY (src/logging/cloud-logging.ts).
  ignoreDependencies: ['pino-pretty'],
  // System tools, not npm packages: util-linux's taskset (bench/lib/cpu-pinning.ts)
  // and unshare (test/deploy/gcloud-harness.ts), and ShellCheck from apt (lint:shell).
  ignoreBinaries: ['taskset', 'unshare', 'shellcheck'],
}

export default config
