import { defineConfig } from 'vitest/config'

// The image checks, run by test-container/run.sh once the image is built;
// `npm test` does not include them (they need root and dockerd).
export default defineConfig({
  test: {
    include: ['test-container/**/*.test.ts'],
    setupFiles: ['test/helpers/loopback-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
