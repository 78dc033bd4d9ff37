// Distributed-stack tests (`pnpm test:stack`): every app as its own OS process on real Postgres, RabbitMQ, Redis.
// Each spec runs its own stack (schema, vhost, Redis prefix, block of ports), so specs run in
// parallel: STACK_SPEC_WORKERS of them at once (default 2; 1 runs them in band).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e-stack',
  rootDir: __dirname,
  roots: ['<rootDir>/src'],
  testRegex: '\\.stack\\.spec\\.ts$',
  testTimeout: 180_000,
  maxWorkers: Number(process.env.STACK_SPEC_WORKERS ?? 2),
  testSequencer: '<rootDir>/stack-sequencer.js',
};
