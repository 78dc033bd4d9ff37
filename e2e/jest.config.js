// Embedded-mode end-to-end tests (part of `pnpm test`): the built embedded app as a real process.
module.exports = { ...require('../jest.preset.js'), displayName: 'e2e-embedded', rootDir: __dirname, roots: ['<rootDir>/src'], testRegex: '\\.e2e\\.spec\\.ts$', testTimeout: 60_000 };
