import { createHash } from 'node:crypto';
import { createMessage, uuidv7 } from '@jobplane/contracts';
import { auditedBody } from './audit-recorder';

const succeeded = (result: unknown) =>
  createMessage('job.succeeded', {
    jobId: uuidv7(),
    tenant: 't',
    data: { attempt: 1, result, durationMs: 5 },
  });

describe('auditedBody', () => {
  it('keeps messages with a small result as they are', () => {
    const m = succeeded({ ok: true });
    expect(auditedBody(m, 1000)).toBe(m);
    const started = createMessage('job.started', {
      jobId: uuidv7(),
      tenant: 't',
      data: { attempt: 1, workerId: 'w' },
    });
    expect(auditedBody(started, 0)).toBe(started);
  });

  it('records a result over the limit by its SHA-256 and size', () => {
    const result = { blob: 'x'.repeat(5000) };
    const m = succeeded(result);
    const json = JSON.stringify(result);
    expect(auditedBody(m, 1000)).toEqual({
      ...m,
      data: {
        attempt: 1,
        durationMs: 5,
        resultDigest: { sha256: createHash('sha256').update(json).digest('hex'), sizeBytes: json.length },
      },
    });
    expect(m.data.result).toBe(result); // the message itself is untouched
  });
});
