import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

/** Manifests: JSONL files of REST submit bodies, each with a deterministic idempotency key. */

export const PLAN_MODES = ['debug', 'sleep', 'crud', 'crud_stress'] as const;
export type PlanMode = (typeof PLAN_MODES)[number];

export interface SubmitBody {
  type: string;
  payload?: unknown;
  pool?: string;
  priority?: number;
  idempotencyKey?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface PlanOptions {
  mode: PlanMode;
  count: number;
  /** Names the manifest: the prefix of every idempotency key (random by default). */
  manifestId?: string;
  pool?: string;
  /** sleep mode: seconds each job sleeps. */
  seconds?: number;
}

export const CRUD_LIFECYCLE = ['created', 'verified', 'updated', 'deleted'];

export function newManifestId(): string {
  return `m-${randomBytes(6).toString('hex')}`;
}

/** The manifest's lines; line numbers (from 1) are part of each idempotency key: `<manifestId>:<line>`. */
export function plan(o: PlanOptions): SubmitBody[] {
  const id = o.manifestId ?? newManifestId();
  return Array.from({ length: o.count }, (_, i) => {
    const line = i + 1;
    const body: SubmitBody = {
      ...jobFor(o, id, line),
      idempotencyKey: `${id}:${line}`,
      labels: { manifest: id, mode: o.mode },
    };
    if (o.pool) body.pool = o.pool;
    return body;
  });
}

function jobFor(o: PlanOptions, id: string, line: number): SubmitBody {
  switch (o.mode) {
    case 'debug':
      return { type: 'debug.echo', payload: { manifest: id, line } };
    case 'sleep':
      return { type: 'sleep', payload: { seconds: o.seconds ?? 1 } };
    case 'crud':
      return { type: 'crud', payload: { name: `${id}-${line}`, data: { line } } };
    case 'crud_stress':
      // Larger rows and spread priorities: exercises the database and the scheduler's ordering.
      return {
        type: 'crud',
        priority: (line * 7) % 10,
        payload: {
          name: `${id}-${line}`,
          data: { line, tags: Array.from({ length: 16 }, (_, t) => `tag-${t}`), blob: 'x'.repeat(2048) },
        },
      };
  }
}

/** What a succeeded job's result must look like, by job type; undefined = the result is fine. */
export function resultProblem(body: SubmitBody, result: unknown): string | undefined {
  const same = (want: unknown) => canonical(result) === canonical(want);
  switch (body.type) {
    case 'debug.echo':
      return same(body.payload ?? {}) ? undefined : `result ${short(result)} is not the payload`;
    case 'sleep': {
      const seconds = (body.payload as { seconds?: number } | undefined)?.seconds ?? 1;
      return same({ slept: seconds }) ? undefined : `result ${short(result)} is not {"slept":${seconds}}`;
    }
    case 'crud': {
      const lifecycle = (result as { lifecycle?: unknown } | null)?.lifecycle;
      return canonical(lifecycle) === canonical(CRUD_LIFECYCLE)
        ? undefined
        : `lifecycle ${short(lifecycle)} is not ${JSON.stringify(CRUD_LIFECYCLE)}`;
    }
    default:
      return undefined;
  }
}

/** JSON with object keys sorted: results come back from jsonb, which does not keep key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function toJsonl(lines: unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}

/** Parses a JSONL manifest; blank lines are skipped but still counted, so line numbers match an editor's. */
export function parseManifest(text: string): { line: number; body: SubmitBody }[] {
  const out: { line: number; body: SubmitBody }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (err) {
      throw new Error(`line ${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (!body || typeof body !== 'object' || typeof (body as SubmitBody).type !== 'string')
      throw new Error(`line ${i + 1}: not a job (an object with a "type")`);
    out.push({ line: i + 1, body: body as SubmitBody });
  });
  return out;
}

/** One line of FILE.receipts.jsonl: the job a manifest line became. */
export interface Receipt {
  line: number;
  jobId: string;
  idempotencyKey?: string;
  created: boolean;
}

export const receiptsPathOf = (manifest: string) => `${manifest}.receipts.jsonl`;

/** Receipts by line; a torn last line (a crash mid-write) is ignored: that line is submitted again. */
export function readReceipts(path: string): Map<number, Receipt> {
  const out = new Map<number, Receipt>();
  if (!existsSync(path)) return out;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const r = JSON.parse(raw) as Receipt;
      if (typeof r.line === 'number' && typeof r.jobId === 'string') out.set(r.line, r);
    } catch {
      /* torn write */
    }
  }
  return out;
}

/** Appends receipts, first ending a torn last line so the new ones start on their own line. */
export function appendReceipts(path: string, receipts: Receipt[]): void {
  if (!receipts.length) return;
  appendFileSync(path, (endsTorn(path) ? '\n' : '') + toJsonl(receipts));
}

function endsTorn(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
