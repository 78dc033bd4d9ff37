module.exports = { ...require('../../jest.preset.js'), displayName: 'worker-app', rootDir: __dirname, roots: ['<rootDir>/src'] };
