import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 30_000,
    // CDK synthesis in beforeAll takes seconds, more on a busy machine.
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
