// Measurements against the distributed stack (`pnpm measure:console`): print figures, assert only correctness.
// Kept out of `test:stack` to hold CI time; timing targets belong to benchmarks, not pass/fail tests.
module.exports = { ...require('../jest.preset.js'), displayName: 'e2e-measure', rootDir: __dirname, roots: ['<rootDir>/src'], testRegex: '\\.measure\\.spec\\.ts$', testTimeout: 300_000 };
