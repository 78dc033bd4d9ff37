module.exports = { ...require('../../jest.preset.js'), displayName: 'api-app', rootDir: __dirname, roots: ['<rootDir>/src'] };
