import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequestOptions, httpRequestHandler } from './http-request.handler';
import { runHandler } from './run-handler.spec-helper';

function run(options: HttpRequestOptions, payload: unknown, signal = new AbortController().signal) {
  return runHandler(httpRequestHandler(options), payload, { signal });
}

/** A name server that answers with fixed addresses (a name resolving to loopback, rebinding). */
const answering =
  (...answers: string[][]) =>
  async () => {
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('http.request SSRF guard', () => {
  it.each([
    ['http://127.0.0.1/', '127.0.0.1', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'link-local'],
    ['http://10.0.0.1/', '10.0.0.1', 'private'],
    ['http://172.16.5.4/', '172.16.5.4', 'private'],
    ['http://192.168.1.1/', '192.168.1.1', 'private'],
    ['http://100.64.0.1/', '100.64.0.1', 'carrier-grade NAT'],
    ['http://0.0.0.0/', '0.0.0.0', 'unspecified'],
    ['http://[::1]/', '::1', 'loopback'],
    ['http://[::]/', '::', 'unspecified'],
    ['http://[fe80::1]/', 'fe80::1', 'link-local'],
    ['http://[fd00::1]/', 'fd00::1', 'private'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'link-local'],
    ['http://224.0.0.1/', '224.0.0.1', 'multicast'],
    ['http://0x7f.1/', '127.0.0.1', 'loopback'], // WHATWG URL normalises odd IPv4 spellings first
  ])('refuses %s', async (url, address, reason) => {
    const lookup = jest.fn(answering(['93.184.216.34']));
    const err = await run({ lookup }, { url }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'http_address_refused',
      retryable: false,
      details: { address, reason },
    });
    expect((err as Error).message).toBe(
      `refusing to connect to ${address}: ${reason} address; list the host or address in HTTP_REQUEST_ALLOW_HOSTS to allow it`,
    );
    expect(lookup).not.toHaveBeenCalled(); // an IP literal is checked as is
  });

  it('refuses localhost after resolving it with the system resolver', async () => {
    await expect(run({}, { url: 'http://localhost:1/' })).rejects.toMatchObject({
      code: 'http_address_refused',
      message: expect.stringMatching(
        /^refusing to connect to (127\.0\.0\.1|::1) \(localhost resolves to it\): loopback/,
      ),
    });
  });

  it('refuses a public-looking name that resolves to loopback, or to any private address among several', async () => {
    await expect(
      run({ lookup: answering(['127.0.0.1']) }, { url: 'http://internal.example.com/' }),
    ).rejects.toThrow(
      'refusing to connect to 127.0.0.1 (internal.example.com resolves to it): loopback address; list the host or address in HTTP_REQUEST_ALLOW_HOSTS to allow it',
    );
    await expect(
      run({ lookup: answering(['93.184.216.34', '10.1.2.3']) }, { url: 'http://mixed.example.com/' }),
    ).rejects.toMatchObject({ details: { address: '10.1.2.3', reason: 'private' } });
  });

  it('rejects invalid allowlist entries at start', () => {
    expect(() => httpRequestHandler({ allowHosts: ['10.0.0.0/99'] })).toThrow(/invalid prefix/);
    expect(() => httpRequestHandler({ allowHosts: ['exa mple.com'] })).toThrow(/HTTP_REQUEST_ALLOW_HOSTS/);
  });

  it('rejects non-http URLs and reserved headers in the payload', () => {
    expect(() => run({}, { url: 'file:///etc/passwd' })).toThrow(/invalid payload/);
    expect(() => run({}, { url: 'http://example.com/', headers: { Host: 'x' } })).toThrow(/may not set/);
  });
});

describe('http.request against a local server', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/json': (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"n":[1,2]}'),
    '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-thing': 'a' }).end('hello'),
    '/big': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(50_000)),
    '/echo': (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end(seen.at(-1)!.body),
    '/missing': (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nope'),
    '/busy': (_req, res) => res.writeHead(503).end('later'),
    '/slow': () => undefined, // never answers
    '/hop': (_req, res) => res.writeHead(302, { location: '/json' }).end(),
    '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end(),
    '/post-hop': (_req, res) => res.writeHead(303, { location: '/text' }).end(),
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const route = routes[req.url!];
        if (route) route(req, res);
        else res.writeHead(500).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const allowed = { allowHosts: ['127.0.0.1'] };

  it('is refused unless allowlisted, and succeeds when 127.0.0.1 is', async () => {
    await expect(run({}, { url: `${base}/json` })).rejects.toMatchObject({ code: 'http_address_refused' });
    const res = await run(allowed, { url: `${base}/json` });
    expect(res).toMatchObject({
      status: 200,
      body: { ok: true, n: [1, 2] },
      bodyEncoding: 'json',
      address: '127.0.0.1',
    });
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('allowlists by CIDR and by host name (the name is still pinned to its checked address)', async () => {
    const port = new URL(base).port;
    expect((await run({ allowHosts: ['127.0.0.0/8'] }, { url: `${base}/text` })).body).toBe('hello');
    const lookup = jest.fn(answering(['127.0.0.1']));
    const res = await run(
      { allowHosts: ['*.test.internal'], lookup },
      { url: `http://api.test.internal:${port}/text` },
    );
    expect(res).toMatchObject({ status: 200, body: 'hello', headers: { 'x-thing': 'a' } });
    expect(seen.at(-1)!.headers.host).toBe(`api.test.internal:${port}`);
  });

  it('connects to the address it checked, not to a second DNS answer (rebinding)', async () => {
    const port = new URL(base).port;
    // First answer allowlisted loopback; a rebinding resolver would answer 10.0.0.1 next time.
    const lookup = jest.fn(answering(['127.0.0.1'], ['10.0.0.1']));
    const res = await run(
      { allowHosts: ['127.0.0.1/32'], lookup },
      { url: `http://rebind.example:${port}/text` },
    );
    expect(res).toMatchObject({ status: 200, address: '127.0.0.1' });
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('sends method, headers and a JSON body', async () => {
    const res = await run(allowed, {
      method: 'POST',
      url: `${base}/echo`,
      headers: { 'x-api-key': 'k' },
      body: { a: 1 },
    });
    expect(res).toMatchObject({ status: 201, body: { a: 1 } });
    const req = seen.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(req.headers).toMatchObject({
      'x-api-key': 'k',
      'content-type': 'application/json',
      'content-length': '7',
    });
  });

  it('caps the response body', async () => {
    const res = await run({ ...allowed, maxResponseBytes: 1000 }, { url: `${base}/big` });
    expect(res).toMatchObject({ truncated: true, bodyEncoding: 'text' });
    expect(res.body).toHaveLength(1000);
  });

  it('fails 4xx non-retryably and 5xx retryably, or returns them when asked', async () => {
    await expect(run(allowed, { url: `${base}/missing` })).rejects.toMatchObject({
      code: 'http_status',
      retryable: false,
      details: { status: 404, body: 'nope' },
    });
    await expect(run(allowed, { url: `${base}/busy` })).rejects.toMatchObject({
      retryable: true,
      details: { status: 503 },
    });
    expect(await run(allowed, { url: `${base}/missing`, failOnHttpError: false })).toMatchObject({
      status: 404,
    });
  });

  it('times out retryably, and a cancel ends the request with the cancel reason', async () => {
    await expect(run(allowed, { url: `${base}/slow`, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'http_timeout',
      retryable: true,
    });
    const ac = new AbortController();
    const pending = run(allowed, { url: `${base}/slow`, timeoutMs: 60_000 }, ac.signal);
    setTimeout(() => ac.abort(new Error('cancelled by user')), 100);
    await expect(pending).rejects.toThrow('cancelled by user');
  });

  it('follows redirects, checking every hop', async () => {
    expect(await run(allowed, { url: `${base}/hop` })).toMatchObject({
      status: 200,
      redirects: 1,
      url: `${base}/json`,
    });
    await expect(run(allowed, { url: `${base}/to-metadata` })).rejects.toMatchObject({
      code: 'http_address_refused',
      details: { address: '169.254.169.254' },
    });
    expect(await run(allowed, { url: `${base}/hop`, maxRedirects: 0 })).toMatchObject({
      status: 302,
      headers: { location: '/json' },
    });
    const res = await run(allowed, { method: 'POST', url: `${base}/post-hop`, body: 'x' });
    expect(res).toMatchObject({ status: 200, body: 'hello' });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', body: '' });
  });
});
