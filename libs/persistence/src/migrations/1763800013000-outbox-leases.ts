import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox leases: a relay commits a lease on the rows it is about to publish (and counts the
 * lease), so a row leased before — by a relay that crashed after publishing, or whose publish
 * failed part way — is known to be a possible second publish and is marked for workers to claim.
 */
export class OutboxLeases1763800013000 implements MigrationInterface {
  name = 'OutboxLeases1763800013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE outbox ADD COLUMN leases int NOT NULL DEFAULT 0, ADD COLUMN leased_until timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN leases, DROP COLUMN leased_until`);
  }
}
