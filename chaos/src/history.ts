import type { JobState } from '@jobplane/contracts';
import type { LedgerRow } from './ledger';
import type { SubmitRecord } from './load';

/** What the registry says about one job of the run. */
export interface JobRow {
  id: string;
  state: JobState;
  attempt: number;
  maxAttempts: number;
  idempotencyKey: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** One job_events row. */
export interface EventRow {
  jobId: string;
  seq: number;
  type: string;
  attempt: number | null;
  eventId: string;
  /** When its message was created (a worker's outcome: just before it was published). */
  occurredAt: number;
}

/** One audit record about a job, in trail order (`id`). */
export interface AuditRow {
  id: number;
  jobId: string;
  eventId: string;
  type: string;
}

/** A fault the scenario injected: when, what, and which processes it hit. */
export interface Fault {
  at: number;
  kind: string;
  pids: number[];
}

/** What a job was meant to do, from its submit: the terminal state and the number of real runs. */
export interface Expectation {
  states: readonly JobState[];
  runs: number;
}

/** Everything the checker reads: the client's log, the registry, the audit trail and the ledger. */
export interface History {
  submits: SubmitRecord[];
  jobs: JobRow[];
  events: EventRow[];
  audit: AuditRow[];
  ledger: LedgerRow[];
  faults: Fault[];
  /** When the last fault healed (or the load ended); `stuck` counts from here. */
  healedAt: number;
  checkedAt: number;
  /** hard limit + 2 x heartbeat timeout + 60 s. */
  stuckAfterMs: number;
  expect: (submit: SubmitRecord) => Expectation;
}
