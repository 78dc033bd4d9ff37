module.exports = { ...require('../../jest.preset.js'), displayName: 'audit-service', rootDir: __dirname, roots: ['<rootDir>/src'] };
