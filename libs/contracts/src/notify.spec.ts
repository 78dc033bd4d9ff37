import { parseEventNotification, viewOfNote, type JobEventNote } from './notify';

const note: JobEventNote = {
  jobId: '01890000-0000-7000-8000-000000000001',
  seq: 2,
  type: 'dispatched',
  attempt: 1,
  data: { pool: 'default' },
  occurredAt: '2026-01-01T00:00:00.000Z',
  tenant: 't1',
  jobType: 'debug.echo',
  pool: 'default',
};

describe('event notifications', () => {
  it('round-trips through JSON', () => {
    expect(parseEventNotification(Buffer.from(JSON.stringify({ events: [note] })))).toEqual({
      events: [note],
    });
  });

  it('rejects malformed bodies instead of throwing', () => {
    expect(parseEventNotification('not json')).toBeUndefined();
    expect(parseEventNotification(JSON.stringify({ events: [{ ...note, seq: 'x' }] }))).toBeUndefined();
    expect(parseEventNotification(JSON.stringify({}))).toBeUndefined();
  });

  it('views drop the routing fields', () => {
    expect(viewOfNote(note)).toEqual({
      jobId: note.jobId,
      seq: 2,
      type: 'dispatched',
      attempt: 1,
      data: { pool: 'default' },
      occurredAt: note.occurredAt,
    });
  });
});
