import { describeDefaults } from './submit';

describe('describeDefaults', () => {
  it('lists what a submit inherits from the handler', () => {
    expect(
      describeDefaults({
        type: 'image.resize',
        pool: 'gpu',
        execution: 'thread',
        timeouts: { hardMs: 30_000 },
        retry: { maxAttempts: 2 },
        payloadSchema: null,
        workers: 2,
      }),
    ).toBe('Defaults: pool gpu · runs thread · up to 2 attempts · hard limit 30 s · 2 workers online');
    expect(
      describeDefaults({ type: 'x', pool: null, execution: 'inline', payloadSchema: null, workers: 0 }),
    ).toBe('Defaults: pool default · runs inline · no worker online');
  });
});
