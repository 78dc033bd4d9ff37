import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, renderOpenApiJson } from './openapi';
import { startTestApp, TestApp } from './test-app.spec-helper';

describe('OpenAPI document', () => {
  it('docs/api/openapi.json is current (regenerate with `pnpm docs:openapi`)', () => {
    const onDisk = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'api', 'openapi.json'), 'utf8');
    expect(onDisk).toBe(renderOpenApiJson());
  });

  describe('against the routes the app serves', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    }, 60_000);
    afterAll(() => t.close());

    it('documents every route, and every documented operation is served', async () => {
      const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
      const documented = new Set(
        Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
        ),
      );
      // Fastify spells `{id}:action` routes as one parameter, and a literal ':' as '::'.
      const served = t.routes
        .filter((r) => !r.startsWith('HEAD ') && !r.includes('/docs'))
        .map((r) =>
          r
            .replace(/::/g, '~')
            .replace(/:(\w+)/g, '{$1}')
            .replace(/~/g, ':'),
        );
      const undocumented = served.filter((r) => {
        const generic = r;
        if (documented.has(generic)) return false;
        // `POST /v1/jobs/{idAction}` serves the documented `{id}:cancel` and `{id}:retry` operations.
        const [method, path] = generic.split(' ') as [string, string];
        return ![...documented].some((d) => d.startsWith(`${method} ${path.replace(/\{\w+\}$/, '{id}:')}`));
      });
      expect(undocumented).toEqual([]);
      for (const op of documented) {
        const [method, path] = op.split(' ') as [string, string];
        if (path === '/v1/events') continue; // a live stream never ends; the live specs call it
        const url = path.replace('{id}', '01a203a6-1112-7682-8c1c-ed5d6d938638').replace('{pool}', 'default');
        const res = await t.call(method, url, {
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        // A served route answers anything but the router's own "no such route" 404.
        expect([op, res.body?.title]).not.toEqual([op, 'Not found']);
      }
    });

    it('declares the bearer scheme and the 401/403/429 answers of every authenticated operation', () => {
      const doc = buildOpenApiDocument() as {
        components: { securitySchemes: Record<string, { scheme: string }> };
        paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
      };
      expect(doc.components.securitySchemes.apiKey!.scheme).toBe('bearer');
      for (const [path, ops] of Object.entries(doc.paths))
        for (const op of Object.values(ops))
          if (path.startsWith('/v1/'))
            expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
    });
  });
});
