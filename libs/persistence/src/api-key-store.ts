import { Actor, recordAdminAction } from './admin-audit';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Scope, SCOPES, uuidv7 } from '@jobplane/contracts';
import type { Database } from './database';

/**
 * API keys look like `jp_<prefix>_<secret>`: the prefix (16 hex) is public and indexes the key; the
 * secret (32 random bytes, base64url) is stored only as its SHA-256. A fast hash is enough here:
 * slow KDFs (bcrypt, argon2) protect guessable passwords, while a 256-bit random secret cannot be
 * brute-forced from its hash, and every request checks a key, so the check must stay cheap.
 */
const KEY_PATTERN = /^jp_([a-z0-9]{8,32})_([A-Za-z0-9_-]{32,128})$/;

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  tenant: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  tenant: string;
  name: string;
  scopes: Scope[];
  expiresAt?: Date | null;
}

/** Why a credential was refused (for metrics/logs; clients always get the same 401). */
export type KeyRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

/** A new random key: `jp_<16 hex>_<43 base64url>`. */
export function generateApiKey(): string {
  return `jp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export class ApiKeyStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a key; the full key is returned here and never again. */
  /** Creates a key; the audit trail records who created it (never the secret) in the same transaction. */
  async create(k: NewApiKey, actor?: Actor): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = generateApiKey();
    const { prefix, secret } = parseApiKey(key)!;
    const record = await this.db.transaction(async (tx) => {
      const [row] = await tx.query(
        `INSERT INTO api_keys (id, prefix, secret_hash, tenant, name, scopes, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6::text[], $7::timestamptz) RETURNING *`,
        [
          uuidv7(),
          prefix,
          hashSecret(secret),
          k.tenant,
          k.name,
          k.scopes,
          k.expiresAt?.toISOString() ?? null,
        ],
      );
      const created = keyFromRow(row!);
      if (actor)
        await recordAdminAction(tx, actor, 'api_key.created', keyTarget(created), keyDetails(created));
      return created;
    });
    return { key, record };
  }

  /**
   * Installs an operator-provided key (the bootstrap admin key, the embedded development key):
   * inserted, or restored (secret, scopes, tenant; un-revoked) when its prefix exists.
   */
  async upsert(key: string, k: NewApiKey): Promise<ApiKeyRecord> {
    const parsed = parseApiKey(key);
    if (!parsed) throw new Error('API key must look like jp_<prefix>_<secret>');
    const [row] = await this.db.query(
      `INSERT INTO api_keys (id, prefix, secret_hash, tenant, name, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7::timestamptz)
       ON CONFLICT (prefix) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, tenant = EXCLUDED.tenant,
         name = EXCLUDED.name, scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at, revoked_at = NULL
       RETURNING *`,
      [
        uuidv7(),
        parsed.prefix,
        hashSecret(parsed.secret),
        k.tenant,
        k.name,
        k.scopes,
        k.expiresAt?.toISOString() ?? null,
      ],
    );
    return keyFromRow(row!);
  }

  /** The key's record if the credential is valid now, else why not. */
  async verify(
    key: string,
  ): Promise<{ ok: true; record: ApiKeyRecord } | { ok: false; reason: KeyRejection }> {
    const parsed = parseApiKey(key);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const [row] = await this.db.query(`SELECT * FROM api_keys WHERE prefix = $1`, [parsed.prefix]);
    if (!row) return { ok: false, reason: 'unknown' };
    const expected = Buffer.from(row.secret_hash as string, 'hex');
    const actual = Buffer.from(hashSecret(parsed.secret), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
      return { ok: false, reason: 'unknown' };
    const record = keyFromRow(row);
    if (record.revokedAt) return { ok: false, reason: 'revoked' };
    if (record.expiresAt && record.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, record };
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.query(
      `SELECT * FROM api_keys WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at, id`,
      [tenant ?? null],
    );
    return rows.map(keyFromRow);
  }

  /** Revokes a key (idempotent); null if there is no such key. */
  async revoke(id: string, actor?: Actor): Promise<ApiKeyRecord | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`,
        [id],
      );
      if (!row) return null;
      const revoked = keyFromRow(row);
      if (actor)
        await recordAdminAction(tx, actor, 'api_key.revoked', keyTarget(revoked), keyDetails(revoked));
      return revoked;
    });
  }
}

function keyTarget(k: ApiKeyRecord) {
  return { kind: 'api_key', id: k.id };
}

/** What the audit trail keeps of a key: its public prefix, tenant and scopes — never the secret. */
function keyDetails(k: ApiKeyRecord): Record<string, unknown> {
  return { prefix: k.prefix, keyTenant: k.tenant, name: k.name, scopes: k.scopes };
}

function keyFromRow(r: Record<string, unknown>): ApiKeyRecord {
  const date = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(v as string));
  const scopes = (Array.isArray(r.scopes) ? r.scopes : parsePgArray(String(r.scopes))) as string[];
  return {
    id: r.id as string,
    prefix: r.prefix as string,
    tenant: r.tenant as string,
    name: r.name as string,
    scopes: scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    createdAt: date(r.created_at)!,
    expiresAt: date(r.expires_at),
    revokedAt: date(r.revoked_at),
  };
}

/** `{a,b}` -> ['a','b'] (drivers that return text[] unparsed). Scopes never contain commas or quotes. */
function parsePgArray(v: string): string[] {
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}
