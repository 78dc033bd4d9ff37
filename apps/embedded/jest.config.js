module.exports = { ...require('../../jest.preset.js'), displayName: 'embedded-app', rootDir: __dirname, roots: ['<rootDir>/src'] };
