// Handlers the isolation tests load into worker threads and child processes (plain CommonJS so the
// isolate can import it without a TypeScript toolchain).
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

exports.reporter = {
  type: 'fixture.report',
  handle: async (ctx) => {
    ctx.log('hello from the isolate', { pid: process.pid });
    for (let i = 1; i <= 3; i++) ctx.progress({ percent: i * 25, step: `step-${i}` });
    ctx.heartbeat();
    return { doubled: ctx.payload.n * 2, pid: process.pid, attempt: ctx.attempt };
  },
};

// A well-behaved handler: stops as soon as its signal fires.
exports.polite = {
  type: 'fixture.polite',
  handle: async (ctx) => {
    ctx.signal.throwIfAborted();
    ctx.progress({ step: 'waiting' });
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, 60_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason);
      });
    });
  },
};

// Ignores its signal and keeps the event loop busy: only a kill ends it.
exports.stubborn = {
  type: 'fixture.stubborn',
  handle: async (ctx) => {
    ctx.log('started', { pid: process.pid });
    await sleep(20);
    for (;;) {
      /* spin */
    }
  },
};

exports.hog = {
  type: 'fixture.hog',
  handle: async () => {
    const hoard = [];
    for (;;) hoard.push(new Array(100_000).fill(Math.random()));
  },
};

exports.exits = { type: 'fixture.exit', handle: async () => process.exit(3) };

exports.refuses = {
  type: 'fixture.refuse',
  handle: async () => {
    throw Object.assign(new Error('no such account'), { code: 'account_missing', retryable: false });
  },
};
