module.exports = { ...require('../jest.preset.js'), displayName: 'charts', rootDir: __dirname, roots: ['<rootDir>/tests'], testTimeout: 120000 };
