import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HandlerDefinition, NonRetryableError, RetryableError } from '../handler';

/** Parameterised SQL on the handler database; returns the rows. */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** A workload table of this handler, not part of the registry schema. */
export const CRUD_TABLE = 'jobplane_crud_items';

const payloadSchema = z.strictObject({
  name: z.string().min(1).max(200).default('item'),
  data: z.json().default({}),
  /** What the update writes (default: `{...data, updated: true}` for an object). */
  update: z.json().optional(),
});
export type CrudPayload = z.output<typeof payloadSchema>;

type Row = { id: string; name: string; data: unknown; version: number };

/**
 * A real create-read-update-delete cycle on its own table; each step is read back and compared, so
 * the result proves the database did what was asked. Without a handler database (HANDLER_DATABASE_URL)
 * it refuses every job. Rows an earlier, interrupted attempt left behind are removed first.
 */
export function crudHandler(query: SqlQuery | undefined): HandlerDefinition<CrudPayload> {
  let ready: Promise<void> | undefined;
  const ensureTable = () => {
    ready ??= createTable(query!).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  return {
    type: 'crud',
    payload: payloadSchema,
    handle: async ({ payload, jobId, tenant, signal, progress }) => {
      if (!query)
        throw new NonRetryableError(
          'crud needs a database: set HANDLER_DATABASE_URL on this worker',
          'crud_disabled',
        );
      const started = Date.now();
      const update = payload.update ?? defaultUpdate(payload.data);
      const lifecycle: string[] = [];
      const step = (name: string) => {
        lifecycle.push(name);
        progress({ percent: lifecycle.length * 25, step: name });
        signal.throwIfAborted();
      };
      try {
        await ensureTable();
        await query(`DELETE FROM ${CRUD_TABLE} WHERE job_id = $1`, [jobId]);
        const id = randomUUID();
        const [created] = await query(
          `INSERT INTO ${CRUD_TABLE} (id, job_id, tenant, name, data, version)
           VALUES ($1, $2, $3, $4, $5::jsonb, 1) RETURNING id, name, data, version`,
          [id, jobId, tenant, payload.name, JSON.stringify(payload.data)],
        );
        expectRow(created, { id, name: payload.name, data: payload.data, version: 1 }, 'create');
        step('created');

        expectRow(
          await readRow(query, id),
          { id, name: payload.name, data: payload.data, version: 1 },
          'read',
        );
        step('verified');

        const [changed] = await query(
          `UPDATE ${CRUD_TABLE} SET data = $2::jsonb, version = version + 1, updated_at = now()
           WHERE id = $1 AND version = 1 RETURNING id`,
          [id, JSON.stringify(update)],
        );
        if (!changed) throw verificationFailed('update', 'no row was updated');
        const after = await readRow(query, id);
        expectRow(after, { id, name: payload.name, data: update, version: 2 }, 'update');
        step('updated');

        const deleted = await query(`DELETE FROM ${CRUD_TABLE} WHERE id = $1 RETURNING id`, [id]);
        if (deleted.length !== 1) throw verificationFailed('delete', `${deleted.length} rows deleted`);
        if (await readRow(query, id)) throw verificationFailed('delete', 'the row is still there');
        step('deleted');
        return {
          lifecycle,
          id,
          table: CRUD_TABLE,
          created: payload.data,
          updated: update,
          durationMs: Date.now() - started,
        };
      } catch (err) {
        if (signal.aborted) {
          await query(`DELETE FROM ${CRUD_TABLE} WHERE job_id = $1`, [jobId]).catch(() => undefined);
          throw signal.reason;
        }
        if (err instanceof NonRetryableError) throw err;
        // The database was unreachable or busy: another attempt may succeed.
        throw new RetryableError(`crud: ${(err as Error).message}`, 'crud_database_error', { lifecycle });
      }
    },
  };
}

async function createTable(query: SqlQuery): Promise<void> {
  const ddl = `CREATE TABLE IF NOT EXISTS ${CRUD_TABLE} (
    id uuid PRIMARY KEY,
    job_id text NOT NULL,
    tenant text NOT NULL,
    name text NOT NULL,
    data jsonb NOT NULL,
    version int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now())`;
  try {
    await query(ddl);
  } catch (err) {
    // Two workers creating it at once: Postgres reports a duplicate type/relation to the loser.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
  await query(`CREATE INDEX IF NOT EXISTS ${CRUD_TABLE}_job_id ON ${CRUD_TABLE} (job_id)`).catch(
    (err: { code?: string }) => {
      if (err.code !== '23505' && err.code !== '42P07') throw err;
    },
  );
}

async function readRow(query: SqlQuery, id: string): Promise<Row | undefined> {
  const [row] = await query(`SELECT id, name, data, version FROM ${CRUD_TABLE} WHERE id = $1`, [id]);
  return row as Row | undefined;
}

function expectRow(row: Record<string, unknown> | undefined, want: Row, step: string): void {
  if (!row) throw verificationFailed(step, 'the row is missing');
  const got = { id: row.id, name: row.name, data: row.data, version: Number(row.version) };
  if (canonical(got) !== canonical(want))
    throw verificationFailed(step, `expected ${canonical(want)}, read ${canonical(got)}`);
}

function verificationFailed(step: string, detail: string): NonRetryableError {
  return new NonRetryableError(`crud ${step} check failed: ${detail}`, 'crud_verification_failed');
}

function defaultUpdate(data: unknown): unknown {
  return data !== null && typeof data === 'object' && !Array.isArray(data)
    ? { ...data, updated: true }
    : { value: data, updated: true };
}

/** JSON with sorted keys: jsonb does not keep key order, so compare by content. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
