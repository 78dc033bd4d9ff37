import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { SseWriter } from './sse-writer';

/** SseWriter on a real HTTP server and a raw TCP client that reads only when told to. */
describe('SseWriter', () => {
  let server: Server;
  let writer: Promise<SseWriter>;
  let client: Socket;
  let received = '';

  const start = async (options: ConstructorParameters<typeof SseWriter>[1]) => {
    let resolve!: (w: SseWriter) => void;
    writer = new Promise((r) => (resolve = r));
    server = createServer((_req, res: ServerResponse) => resolve(new SseWriter(res, options)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.on('data', (d: Buffer) => (received += d.toString()));
    client.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    return writer;
  };

  afterEach(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    received = '';
  });

  it('sends SSE headers, framed events and heartbeats', async () => {
    const sse = await start({ heartbeatMs: 20 });
    expect(await sse.send('progress', { seq: 3 }, 3)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    sse.end();
    // Chunked encoding: the last chunk marks the end of the response (the connection may stay).
    for (let i = 0; i < 100 && !received.endsWith('0\r\n\r\n'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(received.endsWith('0\r\n\r\n')).toBe(true);
    expect(received).toMatch(/content-type: text\/event-stream/i);
    expect(received).toMatch(/x-accel-buffering: no/i);
    expect(received).toMatch(/cache-control: no-cache/i);
    expect(received).toMatch(/id: 3\nevent: progress\ndata: \{"seq":3\}\n\n/);
    expect(received).toContain(': heartbeat\n\n');
  });

  it('waits for a slow reader and drops one that stalls', async () => {
    const sse = await start({ heartbeatMs: 60_000, stallMs: 300 });
    client.pause(); // stops reading: the kernel buffers fill, then writes report backpressure
    const big = { blob: 'x'.repeat(64 * 1024) };
    let sent = 0;
    const t0 = Date.now();
    while (await sse.send('progress', big, ++sent)) {
      if (Date.now() - t0 > 10_000) throw new Error('never saw backpressure');
    }
    // A send that had to wait and then gave up: the writer never buffered without bound.
    expect(sent).toBeLessThan(2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(sse.signal.aborted).toBe(true);
    expect(await sse.send('progress', big, sent + 1)).toBe(false);
  });

  it('reports a client that went away', async () => {
    const sse = await start({});
    client.destroy();
    await new Promise((r) => sse.signal.addEventListener('abort', r, { once: true }));
    expect(await sse.send('progress', {}, 1)).toBe(false);
  });
});
