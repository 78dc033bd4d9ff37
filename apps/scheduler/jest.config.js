module.exports = { ...require('../../jest.preset.js'), displayName: 'scheduler-app', rootDir: __dirname, roots: ['<rootDir>/src'] };
