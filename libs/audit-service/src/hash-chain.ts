import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** Canonical JSON (sorted keys) so the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** hash_n = sha256(hash_{n-1} || canonical record): altering any record breaks every later link. */
export function chainHash(
  prevHash: string,
  record: {
    eventId: string;
    tenant: string;
    tenantSeq: number;
    type: string;
    occurredAt: string;
    body: unknown;
  },
): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(record)).digest('hex');
}
