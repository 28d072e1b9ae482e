import { defineConfig } from 'vitest/config';

// Heavy drills (scale, failure, fuzzing at full size): `npm run test:drills`, run by CI after
// `npm test`. One file at a time: each drill loads the machine on purpose.
export default defineConfig({
  test: {
    include: ['test/drills/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
