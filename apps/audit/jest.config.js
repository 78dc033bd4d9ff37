module.exports = { ...require('../../jest.preset.js'), displayName: 'audit-app', rootDir: __dirname, roots: ['<rootDir>/src'] };
