import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobEventView } from '@jobplane/contracts';
import { ApiError, Client } from './client';
import { watchJobEvents } from './watch-events';

const JOB = '00000000-0000-4000-8000-000000000001';
const TYPES = ['created', 'queued', 'started', 'progress', 'succeeded'];
const EVENTS: JobEventView[] = TYPES.map((type, i) => ({
  jobId: JOB,
  seq: i + 1,
  type,
  attempt: i >= 2 ? 1 : null,
  data: type === 'progress' ? { percent: 50 } : {},
  occurredAt: new Date(0).toISOString(),
}));

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, client: new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'k1') };
}

const sse = (e: JobEventView) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

async function all(it: AsyncIterable<JobEventView>) {
  const out: JobEventView[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('watchJobEvents', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('reconnects a dropped SSE stream with Last-Event-ID and loses or repeats nothing', async () => {
    const seen: { lastEventId?: string; auth?: string; accept?: string }[] = [];
    const s = await serve((req, res) => {
      seen.push({
        lastEventId: req.headers['last-event-id'] as string | undefined,
        auth: req.headers.authorization,
        accept: req.headers.accept,
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seen.length === 1) {
        res.write(': hello\n\n' + EVENTS.slice(0, 3).map(sse).join(''));
        setTimeout(() => res.destroy(), 20); // the connection drops mid-job
        return;
      }
      // The server replays from Last-Event-ID and also resends the last one: it must be skipped.
      const from = Number(req.headers['last-event-id']);
      res.end(
        EVENTS.slice(from - 1)
          .map(sse)
          .join(''),
      );
    });
    server = s.server;
    const reconnects: number[] = [];
    const got = await all(
      watchJobEvents(s.client, JOB, { intervalMs: 10, onReconnect: (n) => reconnects.push(n) }),
    );
    expect(got).toEqual(EVENTS);
    expect(seen).toEqual([
      { lastEventId: undefined, auth: 'Bearer k1', accept: 'text/event-stream' },
      { lastEventId: '3', auth: 'Bearer k1', accept: 'text/event-stream' },
    ]);
    expect(reconnects).toEqual([1]);
  });

  it('polls the JSON history when the server does not speak SSE, from afterSeq', async () => {
    let calls = 0;
    const s = await serve((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: EVENTS.slice(0, Math.min(EVENTS.length, calls * 2)) }));
    });
    server = s.server;
    const got = await all(watchJobEvents(s.client, JOB, { afterSeq: 1, intervalMs: 5 }));
    expect(got).toEqual(EVENTS.slice(1));
    expect(calls).toBe(3);
  });

  it('fails at once on a 404 problem, with its title and detail', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Job not found', detail: `job ${JOB} not found`, status: 404 }));
    });
    server = s.server;
    const err = await all(watchJobEvents(s.client, JOB)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(`Job not found: job ${JOB} not found`);
  });
});
