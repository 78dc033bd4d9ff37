// A user's handler file, compiled: defines a thread handler through the built SDK.
const { defineHandler } = require('../dist');

exports.squareHandler = defineHandler({
  type: 'fixture.square',
  execution: 'thread',
  handle: async ({ payload }) => payload.n * payload.n,
});
