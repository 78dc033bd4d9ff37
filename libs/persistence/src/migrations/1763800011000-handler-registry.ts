import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The handler registry: what workers declare about their handlers (defaults, payload schema).
 * A table of its own, not only a column on `workers`, so declarations outlive the workers that made
 * them: a pool scaled to zero still has its handlers' defaults applied to jobs submitted meanwhile.
 * `workers.handlers` lists the types each worker serves now (who can run what); null: a worker
 * older than the registry, which does not say.
 */
export class HandlerRegistry1763800011000 implements MigrationInterface {
  name = 'HandlerRegistry1763800011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE handler_types (
        type text PRIMARY KEY,
        pool text,
        execution text NOT NULL,
        timeouts jsonb,
        retry jsonb,
        payload_schema jsonb,
        declared_by text NOT NULL,
        declared_by_started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE workers ADD COLUMN handlers jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workers DROP COLUMN handlers`);
    await q.query(`DROP TABLE handler_types`);
  }
}
