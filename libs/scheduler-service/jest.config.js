module.exports = { ...require('../../jest.preset.js'), displayName: 'scheduler-service', rootDir: __dirname, roots: ['<rootDir>/src'] };
