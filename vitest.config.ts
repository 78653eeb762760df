import { defineConfig } from 'vitest/config';

/**
 * test/growth/ times real code to check fitted growth classes; it runs alone (GROWTH=1, after
 * the other tests in `make test`) so parallel test files do not add noise to its timings.
 */
const growth = process.env.GROWTH === '1';

export default defineConfig({
  test: {
    include: growth ? ['test/growth/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: growth ? [] : ['test/growth/**', 'node_modules/**'],
    // Integration and e2e tests start real sandboxes; two cores, so keep files to two at a time.
    maxWorkers: growth ? 1 : 2,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
