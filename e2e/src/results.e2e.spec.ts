import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, ServiceProcess, startService, stopService } from '@jobplane/testing';
import { submit, TERMINAL, waitForState } from './jobs';

/** Embedded mode (PGlite): the result store and crud on the embedded database. */
describe('embedded mode: results and built-in handlers', () => {
  const port = 17000 + Math.floor(Math.random() * 1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'jobplane-e2e-results-'));
  const adminKey = `jp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  const api = new ApiClient(`http://127.0.0.1:${port}`, adminKey);
  let proc: ServiceProcess;

  beforeAll(async () => {
    proc = await startService({
      name: 'embedded',
      app: 'embedded',
      healthPort: port,
      logDir: join(dataDir, 'logs'),
      env: {
        PORT: String(port),
        DATA_DIR: dataDir,
        GRPC_PORT: '0',
        LOG_LEVEL: 'warn',
        RESULT_INLINE_MAX_BYTES: '1000',
        BOOTSTRAP_ADMIN_KEY: adminKey,
      },
    });
  });

  afterAll(async () => {
    if (proc) expect(await stopService(proc)).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a result over RESULT_INLINE_MAX_BYTES and serves it from GET /v1/jobs/{id}/result', async () => {
    const payload = { rows: Array.from({ length: 100 }, (_, i) => ({ i, s: 'ü'.repeat(10) })) };
    const done = await waitForState(api, (await submit(api, { type: 'debug.echo', payload })).id, TERMINAL);
    const size = Buffer.byteLength(JSON.stringify(payload));
    expect(done).toMatchObject({ state: 'succeeded', result: null, resultRef: { sizeBytes: size } });
    const res = await api.get(done.resultRef!.url);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(size);
    expect(res.body).toEqual(payload);
  });

  it('runs crud in the embedded database', async () => {
    const done = await waitForState(api, (await submit(api, { type: 'crud', payload: {} })).id, TERMINAL);
    expect(done).toMatchObject({
      state: 'succeeded',
      result: { lifecycle: ['created', 'verified', 'updated', 'deleted'] },
    });
  });

  it('refuses process.exec when PROCESS_EXEC_ALLOW is not set', async () => {
    const job = await submit(api, { type: 'process.exec', payload: { command: '/bin/echo', args: ['hi'] } });
    const done = await waitForState(api, job.id, TERMINAL);
    expect(done).toMatchObject({ state: 'failed', attempt: 1, error: { code: 'process_exec_disabled' } });
  });
});
