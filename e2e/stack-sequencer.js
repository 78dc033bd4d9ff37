// Runs the longest stack specs first, so parallel workers finish together instead of one worker
// starting the 60 s harness last. Jest's own order needs timings cached by an earlier run (a clean
// CI clone has none) and otherwise goes by file size, which says little about a spec's length.
const { basename } = require('node:path');
const Sequencer = require(
  require.resolve('@jest/test-sequencer', {
    paths: [require.resolve('jest-config', { paths: [require.resolve('jest')] })],
  }),
).default;

// Seconds each spec took (2 at a time, loaded machine; rough: refresh when a spec grows much).
// Specs not listed go first.
const SECONDS = require('./stack-durations.json');

class SlowFirst extends Sequencer {
  sort(tests) {
    const s = (t) => SECONDS[basename(t.path)] ?? Infinity;
    return [...tests].sort((a, b) => s(b) - s(a) || a.path.localeCompare(b.path));
  }
}

module.exports = SlowFirst;
