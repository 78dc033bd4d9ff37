/** The shapes of the public API the console reads (see docs/api/openapi.json). */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'timeout', 'cancelled'];

export interface JobProgress {
  percent?: number;
  step?: string;
  message?: string;
}

export interface Job {
  id: string;
  tenant: string;
  type: string;
  pool: string;
  state: JobState;
  priority: number;
  payload: unknown;
  result?: unknown;
  resultRef?: { sizeBytes: number; url: string };
  error?: { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } | null;
  attempt: number;
  maxAttempts: number;
  runAt?: string | null;
  labels: Record<string, string>;
  progress?: JobProgress | null;
  cancelRequested?: boolean;
  createdAt: string;
  updatedAt: string;
  waitReason?: string;
  position?: number;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

export interface JobEvent {
  jobId: string;
  seq: number;
  type: string;
  attempt: number | null;
  data: unknown;
  occurredAt: string;
  /** Only on the tenant-wide stream (GET /v1/events). */
  jobType?: string;
  pool?: string;
}

export interface RateLimit {
  max: number;
  perMs: number;
}

export interface Pool {
  name: string;
  capacity: number;
  rate: RateLimit | null;
  paused: boolean;
  pausedUntil: string | null;
  inFlight: number;
  backlog: number;
  oldestQueuedAgeMs: number;
}

export interface Schedule {
  id: string;
  name: string | null;
  cron: string | null;
  timezone: string | null;
  everySeconds: number | null;
  job: { type: string; payload: unknown; pool?: string; priority: number; labels: Record<string, string> };
  paused: boolean;
  nextRuns: string[];
  lastFiredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
  state: 'online' | 'draining' | 'offline';
  pools: { pool: string; concurrency: number; busy: number }[];
  handlers: string[];
  startedAt: string;
  lastHeartbeatAt: string;
}

export interface HandlerInfo {
  type: string;
  pool: string | null;
  execution: string;
  timeouts?: { softMs?: number; hardMs?: number };
  retry?: { maxAttempts?: number; backoff?: unknown };
  payloadSchema: Record<string, unknown> | null;
  workers: number;
}

export interface Items<T> {
  items: T[];
}
