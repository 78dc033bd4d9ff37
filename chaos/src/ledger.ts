import { Client, Pool } from 'pg';

/**
 * The execution ledger: one row per real run of a probe, written by the probe itself into its own
 * schema, never by the platform. A plain INSERT with no key on (job, attempt), so a duplicate run
 * leaves a duplicate row instead of being folded away.
 */
export interface LedgerRow {
  jobId: string;
  attempt: number;
  pid: number;
  startedAt: number;
  endedAt: number | null;
}

export async function createLedger(databaseUrl: string, schema: string): Promise<void> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    await pg.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pg.query(`
      CREATE TABLE IF NOT EXISTS "${schema}".executions (
        id bigserial PRIMARY KEY,
        job_id uuid NOT NULL,
        attempt int NOT NULL,
        pid int NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        ended_at timestamptz
      )`);
  } finally {
    await pg.end();
  }
}

export async function dropLedger(databaseUrl: string, schema: string): Promise<void> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pg.end());
}

/** The probe's side: a small pool per process, created on first use. */
export class LedgerWriter {
  private pool: Pool | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly schema: string,
  ) {}

  async begin(jobId: string, attempt: number): Promise<string> {
    const { rows } = await this.db().query<{ id: string }>(
      `INSERT INTO "${this.schema}".executions (job_id, attempt, pid) VALUES ($1, $2, $3) RETURNING id`,
      [jobId, attempt, process.pid],
    );
    return rows[0]!.id;
  }

  async end(rowId: string): Promise<void> {
    await this.db().query(
      `UPDATE "${this.schema}".executions SET ended_at = clock_timestamp() WHERE id = $1`,
      [rowId],
    );
  }

  private db(): Pool {
    this.pool ??= new Pool({ connectionString: this.databaseUrl, max: 4 });
    return this.pool;
  }
}

export async function readLedger(pg: Client, schema: string): Promise<LedgerRow[]> {
  const { rows } = await pg.query(
    `SELECT job_id, attempt, pid, extract(epoch FROM started_at) * 1000 AS started,
            extract(epoch FROM ended_at) * 1000 AS ended
     FROM "${schema}".executions ORDER BY id`,
  );
  return rows.map((r) => ({
    jobId: r.job_id,
    attempt: r.attempt,
    pid: r.pid,
    startedAt: Number(r.started),
    endedAt: r.ended === null ? null : Number(r.ended),
  }));
}
