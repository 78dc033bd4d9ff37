import { randomUUID } from 'node:crypto';
import type { SubmitJobRequest } from '@jobplane/contracts';

/**
 * One submit as the client saw it (Jepsen's invoke / ok / fail / info): `acked` with the job id
 * (201, or 200 for a replayed key), `failed` when the API definitely refused it (4xx), `unknown`
 * when we cannot tell (no answer, 5xx): its Idempotency-Key resolves it afterwards.
 */
export interface SubmitRecord {
  key: string;
  invokedAt: number;
  outcome: 'acked' | 'failed' | 'unknown';
  jobId?: string;
  status?: number;
  /** Retry-After of a 429, seconds. */
  retryAfter?: string | null;
  doneAt: number;
  /** The plan of the job (what the probe was told to do). */
  payload: unknown;
}

export class LoadGenerator {
  readonly history: SubmitRecord[] = [];
  /** 429 answers seen (each retried with the same key after its Retry-After). */
  rateLimited = 0;
  /** 429 answers without a Retry-After header. */
  rateLimitedWithoutRetryAfter = 0;
  /** 5xx answers (never expected: overload must answer 429). */
  serverErrors = 0;
  /** 5xx answers by `status content-type` (a dependency outage must answer 503 problem+json). */
  readonly serverErrorKinds: Record<string, number> = {};
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private apiUrl: string,
    private readonly apiKey: string,
    private readonly label: Record<string, string>,
  ) {}

  /** Points later submits at another api (a replica, or a restarted one on a new port). */
  retarget(apiUrl: string): void {
    this.apiUrl = apiUrl;
  }

  /** Submits `n` jobs at `ratePerS`, keeping at most `maxInFlight` requests open. */
  async paced(n: number, ratePerS: number, jobOf: (i: number) => SubmitJobRequest, maxInFlight = 64) {
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      const wait = t0 + (i * 1000) / ratePerS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (this.pending.size >= maxInFlight) await Promise.race(this.pending);
      const p = this.submit(jobOf(i)).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
    await Promise.all(this.pending);
  }

  /** One submit with its own Idempotency-Key; 429s wait their Retry-After and try again (same key). */
  async submit(job: SubmitJobRequest): Promise<SubmitRecord> {
    const invokedAt = Date.now();
    const rec: SubmitRecord = {
      key: randomUUID(),
      invokedAt,
      outcome: 'unknown',
      doneAt: invokedAt,
      payload: job.payload,
    };
    this.history.push(rec);
    return this.send(rec, job);
  }

  /** Sends an unknown submit again with its key, as a client resolving it would; updates its record. */
  async resolve(rec: SubmitRecord, job: SubmitJobRequest): Promise<SubmitRecord> {
    return this.send(rec, job);
  }

  private async send(rec: SubmitRecord, job: SubmitJobRequest): Promise<SubmitRecord> {
    const { key } = rec;
    for (;;) {
      try {
        const res = await fetch(`${this.apiUrl}/v1/jobs`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.apiKey}`,
            'idempotency-key': key,
          },
          body: JSON.stringify({ ...job, labels: { ...job.labels, ...this.label } }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        rec.status = res.status;
        if (res.status >= 500) {
          this.serverErrors++;
          const kind = `${res.status} ${res.headers.get('content-type')?.split(';')[0] ?? 'none'}`;
          this.serverErrorKinds[kind] = (this.serverErrorKinds[kind] ?? 0) + 1;
        }
        if (res.status === 429) {
          this.rateLimited++;
          rec.retryAfter = res.headers.get('retry-after');
          if (!rec.retryAfter) this.rateLimitedWithoutRetryAfter++;
          await new Promise((r) => setTimeout(r, Math.max(100, Number(rec.retryAfter ?? 1) * 1000)));
          continue;
        }
        if ((res.status === 201 || res.status === 200) && body.id) {
          rec.outcome = 'acked';
          rec.jobId = body.id;
        } else rec.outcome = res.status >= 500 ? 'unknown' : 'failed';
      } catch {
        rec.outcome = 'unknown';
      }
      rec.doneAt = Date.now();
      return rec;
    }
  }
}
