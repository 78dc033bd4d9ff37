// Distributed-stack tests (`pnpm test:stack`): every app as its own OS process on real Postgres, RabbitMQ, Redis.
module.exports = { ...require('../jest.preset.js'), displayName: 'e2e-stack', rootDir: __dirname, roots: ['<rootDir>/src'], testRegex: '\\.stack\\.spec\\.ts$', testTimeout: 180_000 };
