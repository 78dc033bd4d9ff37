import { createHash } from 'node:crypto';
import type { Tx } from './database';

/** How long an idempotency key holds: a repeat within it returns the first job. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A key was reused with a different request body. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`idempotency key "${key}" was used with a different request within 24 h`);
  }
}

/** SHA-256 of the request with object keys sorted, so the same body in any key order matches. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

export interface KeyClaim {
  tenant: string;
  key: string;
  hash: string;
  /** The id the job gets if this claim wins. */
  jobId: string;
}

export interface HeldKey {
  tenant: string;
  key: string;
  hash: string;
  jobId: string;
}

/**
 * Claims keys for new jobs inside the caller's transaction. Expired keys (and keys whose job was
 * purged) are dropped first. Returns the job ids whose claim won; a concurrent claimer of the same
 * key waits on the row lock and then loses, so exactly one job is created per live key.
 */
export async function claimIdempotencyKeys(
  tx: Tx,
  claims: KeyClaim[],
  now: Date,
): Promise<{ won: Set<string>; held: Map<string, HeldKey> }> {
  const won = new Set<string>();
  const held = new Map<string, HeldKey>();
  if (claims.length === 0) return { won, held };
  const tenants = claims.map((c) => c.tenant);
  const keys = claims.map((c) => c.key);
  await tx.query(
    `DELETE FROM idempotency_keys k
     WHERE (k.tenant, k.key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       AND (k.expires_at <= $3::timestamptz OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = k.job_id))`,
    [tenants, keys, now.toISOString()],
  );
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString();
  const inserted = await tx.query<{ job_id: string }>(
    `INSERT INTO idempotency_keys (tenant, key, request_hash, job_id, expires_at)
     SELECT tenant, key, hash, job_id, $2::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, key text, hash text, job_id uuid)
     ON CONFLICT (tenant, key) DO NOTHING
     RETURNING job_id`,
    [
      JSON.stringify(claims.map((c) => ({ tenant: c.tenant, key: c.key, hash: c.hash, job_id: c.jobId }))),
      expiresAt,
    ],
  );
  for (const r of inserted) won.add(r.job_id);
  if (won.size < claims.length) {
    const rows = await tx.query<{ tenant: string; key: string; request_hash: string; job_id: string }>(
      `SELECT tenant, key, request_hash, job_id FROM idempotency_keys
       WHERE (tenant, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [tenants, keys],
    );
    for (const r of rows)
      held.set(keyOf(r.tenant, r.key), {
        tenant: r.tenant,
        key: r.key,
        hash: r.request_hash,
        jobId: r.job_id,
      });
  }
  return { won, held };
}

export const keyOf = (tenant: string, key: string) => `${tenant}\u0000${key}`;

/** Deletes expired keys (bounded per call); the api runs it periodically. */
export async function purgeExpiredIdempotencyKeys(tx: Tx, now: Date, limit = 10_000): Promise<number> {
  const rows = await tx.query(
    `DELETE FROM idempotency_keys WHERE ctid IN (
       SELECT ctid FROM idempotency_keys WHERE expires_at <= $1::timestamptz LIMIT $2)
     RETURNING 1`,
    [now.toISOString(), limit],
  );
  return rows.length;
}
