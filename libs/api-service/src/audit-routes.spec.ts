import { auditTables, migrateAuditSchema } from '@jobplane/audit-service';
import { startTestApp, TestApp } from './test-app.spec-helper';

/** The api reads the audit service's schema; it never creates it. */
describe('audit routes and the audit schema', () => {
  let t: TestApp;

  beforeAll(async () => {
    // No gRPC server: this spec needs none, and port 50051 is shared with the other specs.
    t = await startTestApp({ GRPC_PORT: '0' });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 problem+json until the audit service has created its schema, then serves the trail', async () => {
    for (const url of ['/v1/audit/records', '/v1/audit/verify']) {
      const before = await t.call('GET', url);
      expect(before.status).toBe(503);
      expect(before.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(before.body).toMatchObject({ code: 'service_unavailable', title: 'Audit trail not available' });
    }
    // What the audit service does at start (embedded: DATABASE_SCHEMA public, so jobplane_audit).
    await migrateAuditSchema(t.db, auditTables('jobplane_audit'), 'public');
    const after = await t.call('GET', '/v1/audit/records');
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ items: [], nextCursor: null });
    expect((await t.call('GET', '/v1/audit/verify')).body).toMatchObject({ intact: true, checked: 0 });
  });
});
