import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Three projects, each runnable alone (`npm run test:unit`, `test:integration`, `test:conformance`);
// `npm test` runs them all. Integration and conformance tests start real processes and mostly wait
// on them, so they get more workers than there are cores.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      // Paths of a plan run concurrently within a file, as many as there are cores (`sanspec run --jobs`).
      {
        extends: true,
        test: { name: 'conformance', include: ['test/conformance/**/*.test.ts'], maxConcurrency: availableParallelism() },
      },
    ],
  },
});
