module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'worker-sdk',
  rootDir: __dirname,
  roots: ['<rootDir>/src'],
};
