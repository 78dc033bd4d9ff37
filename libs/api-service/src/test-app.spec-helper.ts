import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@jobplane/config';
import { InProcessBus, jobplaneTopology } from '@jobplane/messaging';
import { ApiKeyStore, Database, generateApiKey } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import { ApiModule } from './api.module';
import { createHttpApp } from './http-app';

export interface TestApp {
  app: NestFastifyApplication;
  db: Database;
  keys: ApiKeyStore;
  /** Every route Fastify registered: `METHOD /url`. */
  routes: string[];
  /** The bootstrap admin key (tenant `default`, every scope). */
  adminKey: string;
  /** A request through Fastify's inject (no socket), with the admin key unless `key` says otherwise. */
  call(
    method: string,
    url: string,
    opts?: { body?: unknown; key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
  close(): Promise<void>;
}

/** The real api module on PGlite and an in-process bus (embedded wiring), for in-process HTTP tests. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const adminKey = generateApiKey();
  // No gRPC server unless a test asks for one: its default port 50051 is one per machine, and other
  // test runs (parallel projects, other checkouts) start this app too. grpc-server.spec covers gRPC.
  const config = loadConfig({ LOG_LEVEL: 'silent', GRPC_PORT: '0', BOOTSTRAP_ADMIN_KEY: adminKey, ...env });
  const logger = createLogger('api-test', config.LOG_LEVEL);
  const db = await Database.open({ kind: 'pglite' }, { migrate: true });
  const bus = new InProcessBus();
  await bus.start(jobplaneTopology());
  @Module({
    imports: [ApiModule.forRoot({ db, bus, logger, config, service: 'api-test', readiness: [] })],
  })
  class TestRoot {}
  const app = (await createHttpApp(TestRoot, logger)) as NestFastifyApplication;
  const routes: string[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) routes.push(`${m} ${r.url}`);
    });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const fastify = app.getHttpAdapter().getInstance();
  return {
    app,
    routes,
    db,
    keys: app.get(ApiKeyStore),
    adminKey,
    async call(method, url, opts = {}) {
      const key = opts.key === undefined ? adminKey : opts.key;
      const res = await fastify.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(opts.body !== undefined && typeof opts.body !== 'string'
            ? { 'content-type': 'application/json' }
            : {}),
          ...opts.headers,
        },
        ...(opts.body === undefined
          ? {}
          : { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
      });
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, headers: res.headers, body };
    },
    async close() {
      await app.close();
      await bus.close();
      await db.close();
    },
  };
}
