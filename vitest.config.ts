import { defineConfig } from 'vitest/config';

// Three tiers: `unit` needs nothing but Node; `cluster` starts one real kube-apiserver,
// etcd and kube-controller-manager per run (see test/cluster/global-setup.ts); `package` packs
// this repository and installs the tarball outside it (npm registry, pre-commit, git).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // A hang watchdog, not a speed limit: the machines have 2 shared cores, and a test
          // that does real work (parsing 300 Tasks, running git) can take seconds under load.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
