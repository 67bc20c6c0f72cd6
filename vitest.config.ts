import { defineConfig } from 'vitest/config';

// Two projects: pure/unit tests (fake host, temp dirs, loopback sshd) run in parallel;
// lab tests share one real lab per run, so they run one file at a time and the lab is
// brought up once by the global setup (and torn down again if this run started it).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          setupFiles: ['test/support/cleanup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
