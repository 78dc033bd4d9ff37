import { check } from './checker';
import type { EventRow, History, JobRow } from './history';
import type { LedgerRow } from './ledger';
import type { SubmitRecord } from './load';

const T0 = 1_800_000_000_000;
let n = 0;
const uuid = () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`;

/** A job that ran once and succeeded, with its submit, events, audit records and ledger row. */
function healthyJob(h: History, opts: { runs?: number; finishedAt?: number } = {}) {
  const id = uuid();
  const submit: SubmitRecord = {
    key: `k-${id}`,
    invokedAt: T0,
    doneAt: T0 + 5,
    outcome: 'acked',
    jobId: id,
    status: 201,
    payload: { ms: 10, mode: 'ok' },
  };
  const job: JobRow = {
    id,
    state: 'succeeded',
    attempt: 1,
    maxAttempts: 3,
    idempotencyKey: submit.key,
    createdAt: T0 + 1,
    finishedAt: opts.finishedAt ?? T0 + 100,
  };
  const events: EventRow[] = (['submitted', 'dispatched', 'started', 'succeeded'] as const).map(
    (type, i) => ({
      jobId: id,
      seq: i + 1,
      type,
      attempt: type === 'submitted' ? null : 1,
      eventId: uuid(),
      occurredAt: T0 + 10 * i + (type === 'succeeded' ? 70 : 0),
    }),
  );
  const runs: LedgerRow[] = Array.from({ length: opts.runs ?? 1 }, () => ({
    jobId: id,
    attempt: 1,
    pid: 100,
    startedAt: T0 + 20,
    endedAt: T0 + 90,
  }));
  h.submits.push(submit);
  h.jobs.push(job);
  h.events.push(...events);
  const base = h.audit.length;
  h.audit.push(
    ...events.map((e, i) => ({ id: base + i + 1, jobId: id, eventId: e.eventId, type: `job.${e.type}` })),
  );
  h.ledger.push(...runs);
  return { id, submit, job, events };
}

function emptyHistory(): History {
  return {
    submits: [],
    jobs: [],
    events: [],
    audit: [],
    ledger: [],
    faults: [],
    healedAt: T0,
    checkedAt: T0 + 200_000,
    stuckAfterMs: 100_000,
    expect: () => ({ states: ['succeeded'], runs: 1 }),
  };
}

describe('check (total-queue style, against the execution ledger)', () => {
  it('passes a clean history', () => {
    const h = emptyHistory();
    for (let i = 0; i < 5; i++) healthyJob(h);
    const r = check(h);
    expect(r).toMatchObject({ lost: [], stuck: [], dupExec: 0, dupAttempt: 0, auditMismatch: 0, okFrac: 1 });
    expect(r.illegalTransitions).toEqual([]);
    expect(r.submits).toEqual({ invoked: 5, acked: 5, failed: 0, unknown: 0, unknownCommitted: 0 });
  });

  it('catches an acknowledged job missing from the registry as lost', () => {
    const h = emptyHistory();
    healthyJob(h);
    const { id } = healthyJob(h);
    h.jobs = h.jobs.filter((j) => j.id !== id);
    expect(check(h).lost).toEqual([id]);
  });

  it('catches a job that succeeded without ever running as lost', () => {
    const h = emptyHistory();
    const { id } = healthyJob(h, { runs: 0 });
    expect(check(h).lost).toEqual([id]);
  });

  it('counts an unknown submit that committed as acknowledged, and a missing one as neither', () => {
    const h = emptyHistory();
    const { submit } = healthyJob(h);
    submit.outcome = 'unknown';
    delete submit.jobId;
    h.submits.push({ key: 'never-committed', invokedAt: T0, doneAt: T0, outcome: 'unknown', payload: {} });
    const r = check(h);
    expect(r.submits).toMatchObject({ acked: 0, unknown: 2, unknownCommitted: 1 });
    expect(r.lost).toEqual([]);
    expect(r.okFrac).toBe(1);
  });

  it('catches a duplicate execution, and a second run of the same attempt', () => {
    const h = emptyHistory();
    healthyJob(h);
    healthyJob(h, { runs: 2 });
    const r = check(h);
    expect(r.dupExec).toBe(1);
    expect(r.dupAttempt).toBe(1);
    expect(r.dupCompleted).toBe(1);
  });

  it('bounds crash duplicates by the runs in flight on the killed process', () => {
    const h = emptyHistory();
    healthyJob(h);
    h.ledger.push({ jobId: 'x', attempt: 1, pid: 7, startedAt: T0 + 10, endedAt: null });
    h.ledger.push({ jobId: 'y', attempt: 1, pid: 7, startedAt: T0 + 10, endedAt: T0 + 20 }); // done before
    h.events.push({
      jobId: 'y',
      seq: 4,
      type: 'succeeded',
      attempt: 1,
      eventId: uuid(),
      occurredAt: T0 + 22,
    });
    h.ledger.push({ jobId: 'z', attempt: 1, pid: 8, startedAt: T0 + 10, endedAt: null }); // other process
    h.faults.push({ at: T0 + 50, kind: 'SIGKILL', pids: [7] });
    expect(check(h)).toMatchObject({ inFlightOnFaulted: 1, unreportedOnFaulted: 0 });
  });

  it('counts a run whose handler returned but whose outcome the kill cut off as in flight', () => {
    const h = emptyHistory();
    // Handler done at +20, killed at +50 before reporting; the redelivered run reported at +90.
    h.ledger.push({ jobId: 'u', attempt: 1, pid: 7, startedAt: T0 + 10, endedAt: T0 + 20 });
    h.ledger.push({ jobId: 'u', attempt: 1, pid: 9, startedAt: T0 + 60, endedAt: T0 + 85 });
    h.events.push({
      jobId: 'u',
      seq: 4,
      type: 'succeeded',
      attempt: 1,
      eventId: uuid(),
      occurredAt: T0 + 90,
    });
    h.faults.push({ at: T0 + 50, kind: 'SIGKILL', pids: [7] });
    expect(check(h)).toMatchObject({ inFlightOnFaulted: 1, unreportedOnFaulted: 1 });
  });

  it('counts a run whose end stamp landed after the kill (sent before it) as ended in flight', () => {
    const h = emptyHistory();
    h.ledger.push({ jobId: 'v', attempt: 1, pid: 7, startedAt: T0 + 10, endedAt: T0 + 52 });
    h.ledger.push({ jobId: 'v', attempt: 1, pid: 9, startedAt: T0 + 60, endedAt: T0 + 85 });
    h.faults.push({ at: T0 + 50, kind: 'SIGKILL', pids: [7] });
    expect(check(h)).toMatchObject({ inFlightOnFaulted: 1, unreportedOnFaulted: 1 });
  });

  it('catches an illegal transition: an event after a terminal state', () => {
    const h = emptyHistory();
    const { id } = healthyJob(h);
    h.events.push({ jobId: id, seq: 5, type: 'started', attempt: 1, eventId: uuid(), occurredAt: T0 + 200 });
    const r = check(h);
    expect(r.illegalTransitions).toEqual([
      expect.objectContaining({
        jobId: id,
        seq: 5,
        from: 'succeeded',
        why: 'succeeded -> running is not a transition',
      }),
      expect.objectContaining({ jobId: id, why: 'registry says succeeded' }),
    ]);
  });

  it('catches an outcome of an older attempt that was not fenced out', () => {
    const h = emptyHistory();
    const { id, job } = healthyJob(h);
    h.events = h.events.filter((e) => e.jobId !== id || e.seq < 4);
    const late = (seq: number, type: string, attempt: number) =>
      h.events.push({ jobId: id, seq, type, attempt, eventId: uuid(), occurredAt: T0 + 200 });
    late(4, 'worker_lost', 1);
    late(5, 'dispatched', 2);
    late(6, 'succeeded', 1); // the paused worker's late outcome
    job.attempt = 2;
    const why = check(h).illegalTransitions.map((i) => i.why);
    expect(why).toContain('attempt 1 event while the job is on attempt 2 (not fenced)');
  });

  it('catches gaps in the event sequence and a job that does not start with submitted', () => {
    const h = emptyHistory();
    const { id } = healthyJob(h);
    h.events = h.events.filter((e) => e.jobId !== id || e.seq !== 1);
    const why = check(h).illegalTransitions.map((i) => i.why);
    expect(why).toEqual(expect.arrayContaining(['seq 2 where 1 was due', 'first event is not submitted']));
  });

  it('reports a job still running past the deadline as stuck, but not before', () => {
    const h = emptyHistory();
    const { id, job } = healthyJob(h);
    job.state = 'running';
    job.finishedAt = null;
    h.events = h.events.filter((e) => e.type !== 'succeeded');
    expect(check(h).stuck).toEqual([id]);
    expect(check({ ...h, checkedAt: T0 + 50_000 }).stuck).toEqual([]);
  });

  it('catches a lifecycle event missing from the audit trail, and a trail out of order', () => {
    const h = emptyHistory();
    const a = healthyJob(h);
    const b = healthyJob(h);
    h.audit = h.audit.filter((r) => r.eventId !== a.events[2]!.eventId);
    const trail = h.audit.filter((r) => r.jobId === b.id);
    [trail[0]!.id, trail[3]!.id] = [trail[3]!.id, trail[0]!.id];
    expect(check(h).auditMismatch).toBe(2);
  });

  it('counts terminal jobs that ran fewer times than planned', () => {
    const h = emptyHistory();
    healthyJob(h, { runs: 2 });
    healthyJob(h);
    expect(check({ ...h, expect: () => ({ states: ['succeeded'], runs: 2 }) }).missingRuns).toBe(1);
  });

  it('counts an end the scheduler decided that is missing from the trail as a gap and a mismatch', () => {
    const h = emptyHistory();
    const { id } = healthyJob(h);
    healthyJob(h);
    const last = h.events.find((e) => e.jobId === id && e.type === 'succeeded')!;
    last.type = 'timeout';
    h.jobs[0]!.state = 'timeout';
    expect(check(h)).toMatchObject({ auditMismatch: 0, auditGaps: 0 });
    h.audit = h.audit.filter((a) => a.eventId !== last.eventId);
    expect(check(h)).toMatchObject({ auditMismatch: 1, auditGaps: 1 });
  });

  it('measures ok_frac against each job plan', () => {
    const h = emptyHistory();
    healthyJob(h);
    healthyJob(h).job.state = 'failed';
    h.events.at(-1)!.type = 'failed';
    expect(check(h).okFrac).toBe(0.5);
  });
});
