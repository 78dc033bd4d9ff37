import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys: `jp_<prefix>_<secret>`. The prefix is stored in clear (it names the key in lists and is
 * the lookup index); only a SHA-256 of the secret is stored.
 */
export class ApiKeys1763800006000 implements MigrationInterface {
  name = 'ApiKeys1763800006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        prefix text NOT NULL UNIQUE,
        secret_hash text NOT NULL,
        tenant text NOT NULL,
        name text NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
  }
}
