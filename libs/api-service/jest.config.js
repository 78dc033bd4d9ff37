module.exports = { ...require('../../jest.preset.js'), displayName: 'api-service', rootDir: __dirname, roots: ['<rootDir>/src'] };
