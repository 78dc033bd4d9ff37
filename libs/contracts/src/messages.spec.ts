import { createMessage, parseMessage } from './messages';
import { uuidv7 } from './ids';

const jobId = uuidv7();

describe('message envelope', () => {
  it('round-trips a valid message through JSON', () => {
    const msg = createMessage('job.started', { jobId, tenant: 't1', data: { attempt: 1, workerId: 'w1' } });
    const parsed = parseMessage(Buffer.from(JSON.stringify(msg)));
    expect(parsed).toEqual({ ok: true, message: msg });
  });

  it('rejects non-JSON bodies with a clear error', () => {
    expect(parseMessage(Buffer.from('{not json'))).toEqual({ ok: false, error: 'body is not JSON' });
  });

  it('names every invalid field', () => {
    const bad = {
      ...createMessage('job.started', { jobId, tenant: 't', data: { attempt: 1, workerId: 'w' } }),
    };
    const result = parseMessage({ ...bad, jobId: 'nope', data: { attempt: 0, workerId: 'w' } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain('jobId');
      expect(result.error).toContain('data.attempt');
    }
  });

  it('rejects an unknown message type and a future major version', () => {
    const msg = createMessage('job.cancel', { jobId, tenant: 't', data: {} });
    expect(parseMessage({ ...msg, type: 'job.exploded' }).ok).toBe(false);
    expect(parseMessage({ ...msg, v: 2 }).ok).toBe(false);
  });

  it('accepts unknown extra fields from a newer minor producer', () => {
    const msg = createMessage('job.cancel', { jobId, tenant: 't', data: {} });
    expect(parseMessage({ ...msg, extra: 1, data: { reason: 'x', later: true } }).ok).toBe(true);
  });
});

describe('uuidv7', () => {
  it('sorts by creation order and carries version 7', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]![14]).toBe('7');
  });
});
