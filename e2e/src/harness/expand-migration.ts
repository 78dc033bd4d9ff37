/** The part of TypeORM's QueryRunner a migration uses (e2e does not depend on typeorm). */
interface QueryRunner {
  query(sql: string): Promise<unknown>;
}

/**
 * A test-only "expand" step, applied through Database.migrate while the services run: a nullable
 * column (a catalogue-only change, no table rewrite) and a new table. lock_timeout bounds how long
 * the ALTER may queue for its brief ACCESS EXCLUSIVE lock behind running transactions, which would
 * otherwise hold every later query on `jobs` behind it.
 */
export class HarnessExpand1763899999000 {
  name = 'HarnessExpand1763899999000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SET LOCAL lock_timeout = '5s'`);
    await q.query(`ALTER TABLE jobs ADD COLUMN harness_note text`);
    await q.query(`CREATE TABLE harness_expand (job_id uuid PRIMARY KEY, note text NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE harness_expand`);
    await q.query(`ALTER TABLE jobs DROP COLUMN harness_note`);
  }
}
