import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context of the request that submitted a job (`traceparent`, `tracestate`), so the
 * scheduler's dispatches, retries and watchdog actions join that trace even when no message
 * carries it. Null when tracing was off. Nullable without default: adding it rewrites nothing.
 */
export class TraceContext1763800010000 implements MigrationInterface {
  name = 'TraceContext1763800010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN trace_context jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN trace_context`);
  }
}
