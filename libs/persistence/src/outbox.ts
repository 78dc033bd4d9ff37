import type { Tx } from './database';

/** A message to publish after the transaction that wrote it commits. */
export interface OutboxMessage {
  exchange: string;
  routingKey: string;
  messageId: string;
  /** Serialised JSON. */
  body: string;
  headers?: Record<string, string>;
}

export interface ClaimedOutboxMessage extends OutboxMessage {
  id: string;
  /** A relay leased this row before: it may have been published already (the relay crashed). */
  republish?: boolean;
}

/** Writes messages into the outbox inside the caller's transaction (one statement for any count). */
export async function enqueueOutbox(tx: Tx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m) => ({
    exchange: m.exchange,
    routing_key: m.routingKey,
    message_id: m.messageId,
    body: m.body,
    headers: m.headers ?? {},
  }));
  await tx.query(
    `INSERT INTO outbox (exchange, routing_key, message_id, body, headers)
     SELECT exchange, routing_key, message_id, body, headers
     FROM jsonb_to_recordset($1::jsonb) AS r(exchange text, routing_key text, message_id uuid, body text, headers jsonb)`,
    [JSON.stringify(rows)],
  );
}

/**
 * Locks up to `limit` of the oldest outbox rows (skipping rows another relay holds) for the
 * duration of the caller's transaction.
 */
export async function claimOutbox(tx: Tx, limit: number): Promise<ClaimedOutboxMessage[]> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT id, exchange, routing_key, message_id, body, headers FROM outbox
     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    exchange: r.exchange as string,
    routingKey: r.routing_key as string,
    messageId: r.message_id as string,
    body: r.body as string,
    headers: (r.headers as Record<string, string>) ?? {},
  }));
}

/**
 * Leases up to `limit` of the oldest unleased (or lease-expired) rows for `leaseMs`, committed by
 * the caller before it publishes them, so a crash after the publish leaves rows that say so.
 */
export async function leaseOutbox(tx: Tx, limit: number, leaseMs: number): Promise<ClaimedOutboxMessage[]> {
  const rows = await tx.query<Record<string, unknown>>(
    `UPDATE outbox o SET leases = o.leases + 1, leased_until = now() + $2::bigint * interval '1 millisecond'
     FROM (SELECT id FROM outbox WHERE leased_until IS NULL OR leased_until < now()
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) free
     WHERE o.id = free.id
     RETURNING o.id, o.exchange, o.routing_key, o.message_id, o.body, o.headers, o.leases`,
    [limit, leaseMs],
  );
  return rows
    .map((r) => ({
      id: String(r.id),
      exchange: r.exchange as string,
      routingKey: r.routing_key as string,
      messageId: r.message_id as string,
      body: r.body as string,
      headers: (r.headers as Record<string, string>) ?? {},
      republish: Number(r.leases) > 1,
    }))
    .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/** Gives leased rows back at once (their publish failed) instead of waiting for the lease to end. */
export async function releaseOutbox(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length > 0)
    await tx.query(`UPDATE outbox SET leased_until = NULL WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function deleteOutbox(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length > 0) await tx.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function outboxBacklog(tx: Tx): Promise<{ count: number; oldestAgeMs: number }> {
  const [row] = await tx.query<{ count: string; oldest: Date | string | null }>(
    `SELECT count(*)::text AS count, min(created_at) AS oldest FROM outbox`,
  );
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
  return { count: Number(row?.count ?? 0), oldestAgeMs: oldest ? Math.max(0, Date.now() - oldest) : 0 };
}
