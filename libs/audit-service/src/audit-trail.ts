import type { AuditQuery, AuditRecordView, AuditVerification } from '@jobplane/contracts';
import { Database, InvalidCursorError, Tx } from '@jobplane/persistence';
import type { AuditTables } from './audit-tables';
import { chainHash, GENESIS_HASH } from './hash-chain';

type Row = Record<string, unknown>;

/** The audit schema or its tables do not exist yet: the audit service has not migrated it. */
export class AuditTrailUnavailableError extends Error {
  constructor(schema: string) {
    super(`the audit trail (schema ${schema}) is not there yet: the audit service creates it when it starts`);
    this.name = 'AuditTrailUnavailableError';
  }
}

/** Postgres' undefined_table and invalid_schema_name. */
const MISSING_RELATION = new Set(['42P01', '3F000']);
const VERIFY_BATCH = 1_000;

/** Reads, verifies, exports and purges the trail. Every call is scoped to one tenant. */
export class AuditTrail {
  constructor(
    private readonly db: Database,
    private readonly tables: AuditTables,
  ) {}

  /** Every tenant with records in the trail. */
  async tenants(): Promise<string[]> {
    const rows = await this.read<{ tenant: string }>(
      `SELECT DISTINCT tenant FROM ${this.tables.records} ORDER BY tenant`,
    );
    return rows.map((r) => r.tenant);
  }

  /** Oldest first; the cursor is the last record id seen, so pages are stable while records arrive. */
  async list(
    tenant: string,
    q: AuditQuery,
  ): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
    const { where, params } = filterOf(tenant, q);
    if (q.cursor) {
      params.push(decodeAuditCursor(q.cursor));
      where.push(`id > $${params.length}::bigint`);
    }
    params.push(q.limit + 1);
    const rows = await this.read(
      `SELECT * FROM ${this.tables.records} WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      nextCursor: rows.length > q.limit && last ? encodeAuditCursor(String(last.id)) : null,
    };
  }

  /** Every matching record, oldest first, read in batches so an export of any size streams. */
  async *export(tenant: string, q: Omit<AuditQuery, 'cursor' | 'limit'>): AsyncGenerator<AuditRecordView> {
    let after = '0';
    for (;;) {
      const { where, params } = filterOf(tenant, q);
      params.push(after, VERIFY_BATCH);
      const rows = await this.read(
        `SELECT * FROM ${this.tables.records} WHERE ${where.join(' AND ')} AND id > $${params.length - 1}::bigint
         ORDER BY id LIMIT $${params.length}`,
        params,
      );
      for (const r of rows) yield toView(r);
      if (rows.length < VERIFY_BATCH) return;
      after = String(rows[rows.length - 1]!.id);
    }
  }

  /**
   * Recomputes the tenant's chain from its last checkpoint (or genesis) and names the first record
   * whose link does not hold: an edited record breaks its own hash, a deleted one leaves a gap.
   */
  async verify(tenant: string): Promise<AuditVerification> {
    const [cp] = await this.read(
      `SELECT through_seq, through_hash FROM ${this.tables.checkpoints} WHERE tenant = $1 ORDER BY through_seq DESC LIMIT 1`,
      [tenant],
    );
    const fromCheckpoint = cp ? Number(cp.through_seq) : null;
    let prevSeq = fromCheckpoint ?? 0;
    let prevHash = cp ? String(cp.through_hash) : GENESIS_HASH;
    let checked = 0;
    const result = (brokenAt: number | null, reason: AuditVerification['reason']): AuditVerification => ({
      tenant,
      intact: brokenAt === null,
      checked,
      brokenAt,
      reason,
      fromCheckpoint,
    });
    for (;;) {
      const rows = await this.read(
        `SELECT event_id, tenant_seq, type, occurred_at, body, prev_hash, hash FROM ${this.tables.records}
         WHERE tenant = $1 AND tenant_seq > $2 ORDER BY tenant_seq LIMIT $3`,
        [tenant, prevSeq, VERIFY_BATCH],
      );
      for (const r of rows) {
        const seq = Number(r.tenant_seq);
        if (seq !== prevSeq + 1) return result(prevSeq + 1, 'missing_record');
        if (r.prev_hash !== prevHash) return result(seq, 'prev_hash_mismatch');
        const expected = chainHash(prevHash, {
          eventId: r.event_id as string,
          tenant,
          tenantSeq: seq,
          type: r.type as string,
          occurredAt: (r.body as { occurredAt: string }).occurredAt,
          body: r.body,
        });
        if (r.hash !== expected) return result(seq, 'hash_mismatch');
        checked++;
        prevSeq = seq;
        prevHash = expected;
      }
      if (rows.length < VERIFY_BATCH) return result(null, null);
    }
  }

  /** A read of the trail; a schema the audit service has not created yet is reported as such. */
  private async read<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return await this.db.query<T>(sql, params);
    } catch (err) {
      const e = err as { code?: string; driverError?: { code?: string } };
      if (MISSING_RELATION.has(e.code ?? e.driverError?.code ?? '')) {
        throw new AuditTrailUnavailableError(this.tables.schemaName);
      }
      throw err;
    }
  }

  /**
   * Retention: removes each tenant's records that occurred before `cutoff` (the chain's prefix up
   * to the last such record) and leaves a checkpoint with the last removed seq and hash, so what
   * remains still verifies. Returns how many records were removed.
   */
  async purge(cutoff: Date): Promise<number> {
    return this.db.transaction(async (tx) => {
      const ends = await tx.query(
        `SELECT tenant, max(tenant_seq) AS through_seq FROM ${this.tables.records}
         WHERE occurred_at < $1::timestamptz GROUP BY tenant`,
        [cutoff.toISOString()],
      );
      let removed = 0;
      for (const e of ends)
        removed += await purgeTenant(tx, this.tables, String(e.tenant), Number(e.through_seq), cutoff);
      return removed;
    });
  }
}

async function purgeTenant(
  tx: Tx,
  t: AuditTables,
  tenant: string,
  throughSeq: number,
  cutoff: Date,
): Promise<number> {
  const [through] = await tx.query(`SELECT hash FROM ${t.records} WHERE tenant = $1 AND tenant_seq = $2`, [
    tenant,
    throughSeq,
  ]);
  // The append-only trigger lets deletes through only with this transaction-local flag set.
  await tx.query(`SELECT set_config('jobplane.audit_purge', 'on', true)`);
  const deleted = await tx.query(
    `DELETE FROM ${t.records} WHERE tenant = $1 AND tenant_seq <= $2 RETURNING id`,
    [tenant, throughSeq],
  );
  await tx.query(`SELECT set_config('jobplane.audit_purge', 'off', true)`);
  await tx.query(
    `INSERT INTO ${t.checkpoints} (tenant, through_seq, through_hash, purged_count, purged_before)
     VALUES ($1, $2, $3, $4, $5::timestamptz)`,
    [tenant, throughSeq, through!.hash, deleted.length, cutoff.toISOString()],
  );
  return deleted.length;
}

function encodeAuditCursor(id: string): string {
  return Buffer.from(`audit:${id}`).toString('base64url');
}

function decodeAuditCursor(cursor: string): string {
  const m = /^audit:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError();
  return m[1]!;
}

function filterOf(tenant: string, q: Omit<AuditQuery, 'cursor' | 'limit'>) {
  const where = ['tenant = $1'];
  const params: unknown[] = [tenant];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (q.jobId) add('job_id = ?::uuid', q.jobId);
  if (q.actor) add('actor = ?', q.actor);
  if (q.type) add('type = ?', q.type);
  if (q.from) add('occurred_at >= ?::timestamptz', q.from);
  if (q.to) add('occurred_at < ?::timestamptz', q.to);
  return { where, params };
}

function toView(r: Row): AuditRecordView {
  return {
    seq: Number(r.tenant_seq),
    eventId: r.event_id as string,
    jobId: (r.job_id as string | null) ?? null,
    type: r.type as string,
    actor: (r.actor as string | null) ?? null,
    occurredAt: iso(r.occurred_at),
    recordedAt: iso(r.recorded_at),
    body: r.body,
    prevHash: r.prev_hash as string,
    hash: r.hash as string,
  };
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}
