module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/app'],
};
