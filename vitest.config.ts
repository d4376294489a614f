import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/loopback-guard.ts'],
    // Process-level tests spawn real servers; two cores leave little room for
    // parallel files, and a slow machine should not turn into a flaky suite.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    fileParallelism: true,
    maxWorkers: 2
  }
})
