import type { Database, Tx } from './database';
import { JobNotFoundError } from './job-registry';
import type { ResultRef } from './job-record';

const JSON_TYPE = 'application/json';

/** A job's result as the API serves it: the JSON bytes, whether it was inline or stored. */
export interface StoredResult {
  contentType: string;
  body: Buffer;
  /** Came from the result store rather than the job row. */
  stored: boolean;
}

/** The job exists but has no result (it has not succeeded, or it failed). */
export class ResultNotAvailableError extends Error {
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`job ${jobId} has no result (state ${state}); results exist once a job has succeeded`);
  }
}

/**
 * Where a successful result goes: inline on the job when its JSON is at most `inlineMaxBytes`,
 * otherwise into job_results with a reference on the job (the claim check).
 */
export function placeResult(
  result: unknown,
  inlineMaxBytes: number,
): { inline: unknown } | { ref: ResultRef; body: Buffer } {
  const body = Buffer.from(JSON.stringify(result ?? null), 'utf8');
  if (body.length <= inlineMaxBytes) return { inline: result ?? null };
  return { ref: { sizeBytes: body.length, contentType: JSON_TYPE }, body };
}

/** Stores a result in the caller's transaction (the one that records the job's success). */
export async function storeResult(
  tx: Tx,
  r: { jobId: string; tenant: string; contentType: string; body: Buffer },
): Promise<void> {
  await tx.query(
    `INSERT INTO job_results (job_id, tenant, content_type, size_bytes, body) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (job_id) DO UPDATE SET content_type = EXCLUDED.content_type, size_bytes = EXCLUDED.size_bytes,
       body = EXCLUDED.body, created_at = now()`,
    [r.jobId, r.tenant, r.contentType, r.body.length, r.body],
  );
}

/** Reads results for the API, inline or stored, within a tenant. */
export class ResultStore {
  constructor(private readonly db: Database) {}

  async get(tenant: string, jobId: string): Promise<StoredResult> {
    const [row] = await this.db.query<{
      state: string;
      result: unknown;
      result_ref: ResultRef | null;
      content_type: string | null;
      body: Uint8Array | null;
    }>(
      `SELECT j.state, j.result, j.result_ref, r.content_type, r.body
       FROM jobs j LEFT JOIN job_results r ON r.job_id = j.id
       WHERE j.id = $1 AND j.tenant = $2`,
      [jobId, tenant],
    );
    if (!row) throw new JobNotFoundError(jobId);
    if (row.state !== 'succeeded') throw new ResultNotAvailableError(jobId, row.state);
    if (row.result_ref && row.body) {
      return {
        contentType: row.content_type ?? JSON_TYPE,
        body: Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength),
        stored: true,
      };
    }
    if (row.result_ref) throw new Error(`job ${jobId} references a stored result that is missing`);
    return {
      contentType: JSON_TYPE,
      body: Buffer.from(JSON.stringify(row.result ?? null), 'utf8'),
      stored: false,
    };
  }
}
