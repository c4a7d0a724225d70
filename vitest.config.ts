import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // A leak warning (XState's sent-to-stopped-actor, Node's MaxListenersExceededWarning) fails its file.
    setupFiles: ['test/helpers/noWarnings.ts'],
  },
});
