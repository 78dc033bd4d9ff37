import Fastify, { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sendProblem } from './problem.filter';
import { CONSOLE_CSP, registerConsoleRoutes } from './console-assets';

describe('console static files', () => {
  let dir: string;
  let app: FastifyInstance;
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-assets-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'main-ABCD1234.js'), script);
    app = Fastify();
    const logger = { error: () => undefined } as never;
    app.setErrorHandler((err, request, reply) => sendProblem(reply, request, err, logger));
    expect(registerConsoleRoutes(app, '/console', dir)).toBe(true);
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects /console to /console/ and serves index.html there, revalidated on every load', async () => {
    const redirect = await app.inject({ url: '/console' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/console/');
    const index = await app.inject({ url: '/console/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(index.body).toContain('<title>console</title>');
  });

  it('answers the SPA routes with index.html', async () => {
    for (const url of [
      '/console/jobs',
      '/console/jobs/0193aaaa-bbbb-7ccc-8ddd-eeeeffff0000',
      '/console/pools',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<title>console</title>');
    }
  });

  it('caches hashed assets for a year, gzips them on request, and answers 304 to a matching ETag', async () => {
    const plain = await app.inject({ url: '/console/main-ABCD1234.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);

    const zipped = await app.inject({
      url: '/console/main-ABCD1234.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(script);
    expect(zipped.rawPayload.length).toBeLessThan(script.length / 4);

    const again = await app.inject({
      url: '/console/main-ABCD1234.js',
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers a missing file with a problem+json 404, not index.html', async () => {
    const res = await app.inject({ url: '/console/missing-ABCD1234.js' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('registers nothing when the console was not built', () => {
    const bare = Fastify();
    expect(registerConsoleRoutes(bare, '/console', join(dir, 'nope'))).toBe(false);
    return bare.close();
  });
});
