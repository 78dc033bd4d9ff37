import { MigrationInterface, QueryRunner } from 'typeorm';

/** jobs, job_events and outbox. Ids come from the application (UUIDv7), not the database. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        type text NOT NULL,
        pool text NOT NULL,
        state text NOT NULL CHECK (state IN ('queued','running','succeeded','failed','timeout','cancelled')),
        priority smallint NOT NULL,
        payload jsonb NOT NULL,
        result jsonb,
        error jsonb,
        progress jsonb,
        attempt int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL,
        run_at timestamptz,
        backoff jsonb,
        timeouts jsonb,
        labels jsonb NOT NULL DEFAULT '{}',
        idempotency_key text,
        cancel_requested_at timestamptz,
        last_seq int NOT NULL DEFAULT 0,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz
      )`);
    // Listing is newest first per tenant; UUIDv7 ids sort by creation time, so they are the cursor.
    await q.query(`CREATE INDEX jobs_tenant_id ON jobs (tenant, id DESC)`);
    await q.query(`CREATE INDEX jobs_tenant_state_id ON jobs (tenant, state, id DESC)`);
    await q.query(
      `CREATE UNIQUE INDEX jobs_tenant_idempotency_key ON jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    // Retention purge and recovery scans.
    await q.query(`CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_unfinished ON jobs (state, pool) WHERE finished_at IS NULL`);

    await q.query(`
      CREATE TABLE job_events (
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq int NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        attempt int,
        data jsonb NOT NULL DEFAULT '{}',
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, seq)
      )`);
    await q.query(`CREATE UNIQUE INDEX job_events_event_id ON job_events (event_id)`);

    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        exchange text NOT NULL,
        routing_key text NOT NULL,
        message_id uuid NOT NULL,
        body text NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
    await q.query(`DROP TABLE job_events`);
    await q.query(`DROP TABLE jobs`);
  }
}
