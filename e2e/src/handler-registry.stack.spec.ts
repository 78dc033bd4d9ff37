import { join } from 'node:path';
import type { HandlerView, WorkerView } from '@jobplane/contracts';
import { ApiClient, eventually, REPO_ROOT, stopService } from '@jobplane/testing';
import { useStack } from './jobs';

/** A worker whose handlers declare a pool, a retry policy and limits (e2e/fixtures/registry-worker). */
const REGISTRY_WORKER = join(REPO_ROOT, 'e2e', 'fixtures', 'registry-worker', 'main.js');
const TYPES = ['test.registry.dated', 'test.registry.flaky', 'test.registry.introspect'];

const workersOf = async (api: ApiClient) =>
  (await api.get<{ items: WorkerView[] }>('/v1/workers')).body.items;
const handlersOf = async (api: ApiClient) =>
  (await api.get<{ items: HandlerView[] }>('/v1/handlers')).body.items;

describe('handler registry (distributed)', () => {
  const ctx = useStack({
    workers: 0,
    env: { WORKER_HEARTBEAT_MS: '300', WORKER_LOST_AFTER_MS: '2000', TENANT_RATE_LIMIT: '*:1000' },
  });

  it('lists workers and the handlers they declare; a stopped worker goes offline', async () => {
    const worker = await ctx.stack.startWorker('registry', {}, REGISTRY_WORKER);
    const [online] = await eventually(() => workersOf(ctx.api), {
      until: (ws) => ws.length === 1,
      what: 'the worker listed',
    });
    expect(online).toMatchObject({
      id: expect.stringMatching(/^registry-/),
      pid: worker.child.pid,
      state: 'online',
      pools: [{ pool: 'registry-x', concurrency: expect.any(Number), busy: 0 }],
      handlers: TYPES,
    });
    expect(Date.parse(online!.lastHeartbeatAt)).toBeGreaterThanOrEqual(Date.parse(online!.startedAt));

    const handlers = await handlersOf(ctx.api);
    expect(handlers.map((h) => h.type)).toEqual(TYPES);
    expect(handlers.find((h) => h.type === 'test.registry.flaky')).toMatchObject({
      pool: 'registry-x',
      execution: 'inline',
      timeouts: { hardMs: 30_000 },
      retry: { maxAttempts: 2, backoff: { type: 'fixed', baseMs: 100 } },
      payloadSchema: { type: 'object', properties: { note: { type: 'string', maxLength: 100 } } },
      workers: 1,
    });
    expect(handlers.find((h) => h.type === 'test.registry.dated')).toMatchObject({
      payloadSchema: null,
      workers: 1,
    });
    expect((await new ApiClient(ctx.stack.apiUrl, 'jp_nope_nope').get('/v1/handlers')).status).toBe(401);

    expect(await stopService(worker)).toBe(0);
    const [gone] = await eventually(() => workersOf(ctx.api), {
      until: (ws) => ws[0]?.state === 'offline',
      what: 'the stopped worker listed offline',
    });
    expect(gone!.id).toBe(online!.id);
    // The declarations stay (their defaults still apply), served by nobody now.
    expect((await handlersOf(ctx.api)).map((h) => h.workers)).toEqual([0, 0, 0]);
  });
});
