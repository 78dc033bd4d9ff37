import { assignErrors } from './form-errors';

describe('assignErrors', () => {
  it('puts each API error on the deepest field it names and returns the rest', () => {
    const { byField, unmatched } = assignErrors(
      [
        { path: 'cron', message: 'Invalid cron expression' },
        { path: 'job.payload.seconds', message: 'Too big' },
        { path: 'job.type', message: 'Invalid string' },
        { path: 'job', message: 'Required' },
        { path: '(root)', message: 'Give cron or everySeconds' },
      ],
      ['cron', 'job.type', 'job.payload'],
    );
    expect(Object.fromEntries(byField)).toEqual({
      cron: ['Invalid cron expression'],
      'job.payload': ['Too big'],
      'job.type': ['Invalid string'],
    });
    expect(unmatched.map((u) => u.path)).toEqual(['job', '(root)']);
  });

  it('does not match a field that is only a prefix of another name', () => {
    const { byField, unmatched } = assignErrors([{ path: 'typeName', message: 'x' }], ['type']);
    expect(byField.size).toBe(0);
    expect(unmatched).toHaveLength(1);
  });
});
