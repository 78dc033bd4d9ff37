import { createHash } from 'node:crypto';
import { AUDIT_EVENTS_QUEUE, Message } from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import { isStoreUnavailable, type Database, type Tx } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import { AuditEntry, parseAuditEntries } from './audit-entry';
import type { AuditTables } from './audit-tables';
import { chainHash, GENESIS_HASH } from './hash-chain';

/**
 * Appends every lifecycle message, scheduler transition and administrative action to the hash-chained audit trail, in
 * order (single active consumer), once (event id is unique), in batches of one transaction. While
 * this service is down or lagging, messages wait in its durable queue.
 */
export class AuditRecorder {
  private pending: { delivery: Delivery; entries: AuditEntry[] }[] = [];
  private processing: Promise<void> | null = null;
  private subscription: Subscription | null = null;
  recorded = 0;
  /** Told of every batch once committed (metrics). */
  onRecorded?: (entries: AuditEntry[]) => void;

  constructor(
    private readonly bus: MessageBus,
    private readonly db: Database,
    private readonly tables: AuditTables,
    private readonly logger: Logger,
    /** RESULT_INLINE_MAX_BYTES: bigger results are kept as a digest. */
    private readonly resultMaxBytes = 65_536,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.consume(AUDIT_EVENTS_QUEUE, (d) => this.receive(d), { prefetch: 500 });
  }

  async stop(): Promise<void> {
    this.stopping = true; // a batch waiting for the database hands its messages back
    await this.subscription?.cancel();
    await this.processing;
  }

  private stopping = false;
  /** Pause before retrying a batch while the database is unavailable. */
  unavailableRetryMs = 1_000;

  private receive(delivery: Delivery): void {
    const parsed = parseAuditEntries(delivery.body);
    if (!parsed.ok) {
      this.logger.error({ error: parsed.error }, 'malformed message dead-lettered');
      return delivery.nack(false);
    }
    this.pending.push({ delivery, entries: parsed.entries });
    this.processing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, 250);
        const entries = batch.flatMap((b) => b.entries);
        try {
          await this.db.transaction((tx) => this.append(tx, entries));
          batch.forEach((b) => b.delivery.ack());
          this.recorded += entries.length;
          this.onRecorded?.(entries);
        } catch (err) {
          if (isStoreUnavailable(err) && !this.stopping) {
            // The database is down, not the messages bad: keep them, unacked and in order, and retry.
            // Requeueing would spend their delivery limit in seconds and dead-letter trail records.
            this.logger.warn(
              { err, size: batch.length },
              'audit database unavailable; batch kept and retried',
            );
            this.pending.unshift(...batch);
            await new Promise((r) => setTimeout(r, this.unavailableRetryMs));
            continue;
          }
          this.logger.error({ err }, 'audit batch not recorded; requeued');
          batch.forEach((b) => b.delivery.nack(true));
        }
      }
    } finally {
      this.processing = null;
    }
  }

  private async append(tx: Tx, entries: AuditEntry[]): Promise<void> {
    const ids = entries.map((e) => e.eventId);
    const dupes = new Set(
      (
        await tx.query<{ event_id: string }>(
          `SELECT event_id FROM ${this.tables.records} WHERE event_id = ANY($1::uuid[])`,
          [ids],
        )
      ).map((r) => r.event_id),
    );
    const heads = new Map<string, { seq: number; hash: string }>();
    const seenInBatch = new Set<string>();
    const rows = [];
    for (const m of entries) {
      if (dupes.has(m.eventId) || seenInBatch.has(m.eventId)) continue;
      seenInBatch.add(m.eventId);
      let head = heads.get(m.tenant);
      if (!head) {
        head = await chainHead(tx, this.tables, m.tenant);
      }
      const record = {
        eventId: m.eventId,
        tenant: m.tenant,
        tenantSeq: head.seq + 1,
        type: m.type,
        occurredAt: m.occurredAt,
        body: m.type === 'job.succeeded' ? auditedBody(m.body as Message, this.resultMaxBytes) : m.body,
      };
      const hash = chainHash(head.hash, record);
      rows.push({
        event_id: m.eventId,
        tenant: m.tenant,
        tenant_seq: record.tenantSeq,
        job_id: m.jobId,
        type: m.type,
        actor: m.actor,
        occurred_at: m.occurredAt,
        body: record.body,
        prev_hash: head.hash,
        hash,
      });
      heads.set(m.tenant, { seq: record.tenantSeq, hash });
    }
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.tables.records} (event_id, tenant, tenant_seq, job_id, type, actor, occurred_at, body, prev_hash, hash)
       SELECT event_id, tenant, tenant_seq, job_id, type, actor, occurred_at, body, prev_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, tenant text, tenant_seq bigint, job_id uuid, type text,
            actor text, occurred_at timestamptz, body jsonb, prev_hash text, hash text)`,
      [JSON.stringify(rows)],
    );
  }
}

/**
 * The tenant's last record (locked, so two recorders can never extend one chain twice), or the last
 * retention checkpoint when every record was purged, or genesis.
 */
async function chainHead(tx: Tx, t: AuditTables, tenant: string): Promise<{ seq: number; hash: string }> {
  const [last] = await tx.query<{ tenant_seq: string; hash: string }>(
    `SELECT tenant_seq, hash FROM ${t.records} WHERE tenant = $1 ORDER BY tenant_seq DESC LIMIT 1 FOR UPDATE`,
    [tenant],
  );
  if (last) return { seq: Number(last.tenant_seq), hash: last.hash };
  const [cp] = await tx.query<{ through_seq: string; through_hash: string }>(
    `SELECT through_seq, through_hash FROM ${t.checkpoints} WHERE tenant = $1 ORDER BY through_seq DESC LIMIT 1`,
    [tenant],
  );
  return cp ? { seq: Number(cp.through_seq), hash: cp.through_hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * A message as the trail keeps it. The trail is append-only and outlives jobs, so a big result is
 * recorded by its SHA-256 and size (which still proves what the result was), not copied: the
 * result itself lives in the result store and goes with its job.
 */
export function auditedBody(m: Message, resultMaxBytes: number): unknown {
  if (m.type !== 'job.succeeded') return m;
  const json = JSON.stringify(m.data.result ?? null);
  const sizeBytes = Buffer.byteLength(json);
  if (sizeBytes <= resultMaxBytes) return m;
  const { result: _, ...data } = m.data;
  const sha256 = createHash('sha256').update(json).digest('hex');
  return { ...m, data: { ...data, resultDigest: { sha256, sizeBytes } } };
}
