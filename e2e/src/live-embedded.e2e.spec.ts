import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, ServiceProcess, startService, stopService } from '@jobplane/testing';
import { submit } from './jobs';
import { jobEvents, SseStream, WsClient, useLiveKey } from './live';

/** Live events in embedded mode: the in-process bus carries the same notifications as RabbitMQ. */
describe('embedded mode live events', () => {
  const port = 16000 + Math.floor(Math.random() * 1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'jobplane-live-'));
  const base = `http://127.0.0.1:${port}`;
  const adminKey = `jp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  const api = new ApiClient(base, adminKey);
  let proc: ServiceProcess;

  beforeAll(async () => {
    useLiveKey(adminKey);
    proc = await startService({
      name: 'embedded-live',
      app: 'embedded',
      healthPort: port,
      logDir: join(dataDir, 'logs'),
      env: {
        PORT: String(port),
        DATA_DIR: dataDir,
        GRPC_PORT: '0',
        WORKER_POOLS: 'default:4',
        LOG_LEVEL: 'warn',
        BOOTSTRAP_ADMIN_KEY: adminKey,
      },
    });
  });

  let stopped = false;

  afterAll(async () => {
    if (proc && !stopped) expect(await stopService(proc)).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams a job over SSE live, resumes it, and closes after the terminal event', async () => {
    const job = await submit(api, { type: 'sleep', payload: { seconds: 2 } });
    const first = await SseStream.open(`${base}/v1/jobs/${job.id}/events`);
    const before = [(await first.next())!, (await first.next())!, (await first.next())!];
    first.disconnect();
    const second = await SseStream.open(`${base}/v1/jobs/${job.id}/events`, {
      'last-event-id': before[2]!.id!,
    });
    const after = await second.rest();
    expect(second.closed).toBe(true);
    const full = (await api.get(`/v1/jobs/${job.id}/events`)).body.items;
    expect(jobEvents([...before, ...after])).toEqual(full);
    expect(full.at(-1).type).toBe('succeeded');
  });

  it('runs a job over WebSocket', async () => {
    const c = await WsClient.open(`ws://127.0.0.1:${port}/v1/ws`);
    c.send({ op: 'run_job', job: { type: 'debug.echo', payload: { hi: 1 } } });
    const { job } = await c.next((f) => f.type === 'job');
    await c.next((f) => f.type === 'end');
    expect((await api.get(`/v1/jobs/${job.id}`)).body.state).toBe('succeeded');
    c.close();
  });

  it('ends open streams on shutdown and exits cleanly', async () => {
    // Delayed, so no running job makes the worker drain: only the open streams could hold shutdown.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const job = await submit(api, { type: 'sleep', payload: { seconds: 60 }, runAt });
    const sse = await SseStream.open(`${base}/v1/jobs/${job.id}/events`);
    const tenant = await SseStream.open(`${base}/v1/events`);
    const ws = await WsClient.open(`ws://127.0.0.1:${port}/v1/ws`);
    ws.send({ op: 'reconnect_job', jobId: job.id, afterSeq: 0 });
    await ws.next((f) => f.type === 'event');
    expect((await sse.next())?.event).toBe('submitted');
    stopped = true;
    expect(await stopService(proc)).toBe(0);
    await sse.rest(5_000);
    await tenant.rest(5_000);
    expect(sse.closed && tenant.closed).toBe(true);
    expect(ws.closeCode).toBe(1001);
  });
});
