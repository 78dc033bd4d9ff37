module.exports = { ...require('../../jest.preset.js'), displayName: 'jobctl', rootDir: __dirname, roots: ['<rootDir>/src'] };
