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
  /** Taken by a poller, not its writer: it may have been published already (see OutboxRelay). */
  republish?: boolean;
}

/**
 * Writes messages into the outbox inside the caller's transaction (one statement for any count).
 * The rows are handed to the process's relay once the transaction commits, so it can publish them
 * at once instead of finding them by polling.
 */
export async function enqueueOutbox(tx: Tx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m) => ({
    exchange: m.exchange,
    routing_key: m.routingKey,
    message_id: m.messageId,
    body: m.body,
    headers: m.headers ?? {},
  }));
  // clock_timestamp, not the transaction's start: pollers leave rows younger than their grace alone.
  const written = await tx.query<{ id: string; message_id: string }>(
    `INSERT INTO outbox (exchange, routing_key, message_id, body, headers, created_at)
     SELECT exchange, routing_key, message_id, body, headers, clock_timestamp()
     FROM jsonb_to_recordset($1::jsonb) AS r(exchange text, routing_key text, message_id uuid, body text, headers jsonb)
     RETURNING id, message_id`,
    [JSON.stringify(rows)],
  );
  if (!tx.wroteOutbox) return;
  const ids = new Map(written.map((r) => [String(r.message_id), String(r.id)]));
  tx.wroteOutbox(
    messages.flatMap((m) => {
      const id = ids.get(m.messageId);
      return id ? [{ ...m, id, headers: m.headers ?? {} }] : [];
    }),
  );
}

/**
 * Locks up to `limit` of the oldest outbox rows (skipping rows another relay holds, and rows younger
 * than `minAgeMs`, which their writer's relay publishes itself) for the caller's transaction.
 */
export async function claimOutbox(tx: Tx, limit: number, minAgeMs = 0): Promise<ClaimedOutboxMessage[]> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT id, exchange, routing_key, message_id, body, headers FROM outbox
     WHERE $2::int = 0 OR created_at < now() - $2::int * interval '1 millisecond'
     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit, minAgeMs],
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
