// Shared jest preset: TypeScript through swc (with decorator metadata for NestJS),
// workspace libs resolved to their sources so unit tests never need a build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@jobplane/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
    // Subpath entries (package.json "exports") of a lib: one of its source files.
    '^@jobplane/([a-z-]+)/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/$2.ts'),
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Jest's 5 s default also bounds beforeAll hooks: opening and migrating a PGlite database alone
  // took longer than that on a loaded 2-core CI machine. A hung test still fails, 25 s later.
  testTimeout: 30_000,
};
