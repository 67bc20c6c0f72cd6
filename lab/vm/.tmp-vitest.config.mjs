export default { test: { root: '/work/main', include: ['test/lab/vm.test.ts'], testTimeout: 180000, hookTimeout: 600000 } };
