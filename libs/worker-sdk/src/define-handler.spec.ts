import { join } from 'node:path';
import { z } from 'zod';
import { HandlerRegistry, loadDefinition, validatePayload } from '@jobplane/worker-service';
import { defineHandler } from './define-handler';
import { startWorker } from './start-worker';

describe('defineHandler', () => {
  it('keeps the declaration and types the payload from its schema', async () => {
    const def = defineHandler({
      type: 'images.resize',
      pool: 'cpu',
      payload: z.object({ url: z.url(), width: z.number().int().positive().default(128) }),
      timeouts: { softMs: 1_000, hardMs: 2_000 },
      retry: { maxAttempts: 4, backoff: { type: 'exponential', baseMs: 100 } },
      handle: async ({ payload }) => ({ width: payload.width + 1 }),
    });
    expect(def).toMatchObject({ type: 'images.resize', pool: 'cpu', timeouts: { softMs: 1_000 } });
    expect(def.module).toBeUndefined(); // inline: nothing to load elsewhere
    const payload = validatePayload(def, { url: 'https://example.com/a.png' });
    expect(payload.width).toBe(128);
    expect(() => validatePayload(def, { url: 'nope' })).toThrow(
      /invalid payload for job type "images.resize"/,
    );
    new HandlerRegistry().register(def);
  });

  it.each([
    [{ type: 'bad type!' }, /type/],
    [{ type: 'ok', pool: 'Not_A_Pool' }, /pool/],
    [{ type: 'ok', timeouts: { softMs: 5_000, hardMs: 1_000 } }, /softMs must not exceed hardMs/],
    [{ type: 'ok', execution: 'fiber' }, /execution/],
    [{ type: 'ok', memoryLimitMb: 1 }, /memoryLimitMb/],
    [{ type: 'ok', retry: { maxAttempts: 0 } }, /maxAttempts/],
  ])('refuses a bad declaration %j', (spec, message) => {
    expect(() => defineHandler({ ...spec, handle: async () => null } as never)).toThrow(message);
  });

  it('refuses a payload that is not a zod schema', () => {
    expect(() =>
      defineHandler({ type: 'ok', payload: { parse: () => 1 } as never, handle: async () => null }),
    ).toThrow(/zod schema/);
  });

  it('records the calling module of an isolated handler so the isolate can load it', () => {
    const def = defineHandler({ type: 'iso.here', execution: 'process', handle: async () => null });
    expect(def.module).toBe(__filename);
    const explicit = defineHandler({
      type: 'iso.there',
      execution: 'thread',
      module: '/srv/handlers.js',
      handle: async () => null,
    });
    expect(explicit.module).toBe('/srv/handlers.js');
  });

  it('finds the definition a compiled handler file exports (needs the SDK built)', async () => {
    const file = join(__dirname, '..', 'test-fixtures', 'thread-handler.js');
    const { squareHandler } = (await import(file)) as { squareHandler: { module: string } };
    expect(squareHandler.module).toBe(file);
    const loaded = await loadDefinition(squareHandler.module, 'fixture.square');
    expect(await loaded.handle({ payload: { n: 7 } } as never)).toBe(49);
    await expect(loadDefinition(file, 'fixture.other')).rejects.toThrow(/exports no handler definition/);
  });
});

describe('startWorker inside an isolate', () => {
  it('starts nothing (the module was loaded only to find a handler)', async () => {
    process.env.JOBPLANE_ISOLATE = 'thread';
    try {
      const w = await startWorker({ handlers: [], env: {} });
      expect(w.runtime).toBeNull();
    } finally {
      delete process.env.JOBPLANE_ISOLATE;
    }
  });
});
