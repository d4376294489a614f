import { defineConfig } from 'vitest/config'

const NEW_SERVICE_TEST = 'test/scripts/new-service.test.ts'

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/loopback-guard.ts'],
    // Builds dist/server.js once, for the tests that run the bundle.
    globalSetup: ['test/helpers/built-server.ts'],
    // Process-level tests spawn real servers; two cores leave little room for
    // parallel files, and a slow machine should not turn into a flaky suite.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    fileParallelism: true,
    maxWorkers: 2,
    // The deploy tests run gcloud (CPU-heavy, seconds per call): they run
    // after the rest, so they cannot starve the timing-sensitive process tests.
    // The renamed-clone test runs the whole suite again, so it runs last and
    // alone: beside the other files, its copy's load and timing tests would
    // share two cores with theirs.
    projects: [
      { extends: true, test: { name: 'service', include: ['test/**/*.test.ts'], exclude: ['test/deploy/**', NEW_SERVICE_TEST], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'deploy', include: ['test/deploy/**/*.test.ts'], sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'clone', include: [NEW_SERVICE_TEST], sequence: { groupOrder: 2 } } },
    ],
  },
})
