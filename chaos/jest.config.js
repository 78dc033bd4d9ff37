// Unit tests of the chaos checker (hand-built histories; no services needed).
module.exports = { ...require('../jest.preset.js'), displayName: 'chaos', rootDir: __dirname, roots: ['<rootDir>/src'] };
