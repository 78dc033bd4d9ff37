import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** A named dependency check: resolves when healthy, throws (or rejects) with the reason otherwise. */
export type HealthCheck = { name: string; check: () => Promise<void> | void };

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, { status: 'ok' | 'error'; error?: string }>;
}

/** Runs every check, each bounded in time, and reports all of them. */
export async function runChecks(checks: HealthCheck[], timeoutMs = 2_000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await Promise.race([
          Promise.resolve().then(check),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref(),
          ),
        ]);
        return [name, { status: 'ok' as const }] as const;
      } catch (err) {
        return [
          name,
          { status: 'error' as const, error: err instanceof Error ? err.message : String(err) },
        ] as const;
      }
    }),
  );
  const report = Object.fromEntries(results);
  return { status: results.every(([, r]) => r.status === 'ok') ? 'ok' : 'error', checks: report };
}

/**
 * The small HTTP surface of processes without a public API (scheduler, worker, audit):
 * `/health/live`, `/health/ready` and `/metrics`.
 */
export function startHealthServer(opts: {
  host?: string;
  port: number;
  ready: HealthCheck[];
  registry: Registry;
  /** False while starting or draining: readiness fails even if dependencies answer. */
  accepting?: () => boolean;
}): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/health/live') return send(res, 200, { status: 'ok' });
      if (path === '/health/ready') {
        const report = await runChecks(opts.ready);
        const accepting = opts.accepting ? opts.accepting() : true;
        if (!accepting) report.status = 'error';
        return send(res, report.status === 'ok' ? 200 : 503, { ...report, accepting });
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        return res.end(await opts.registry.metrics());
      }
      send(
        res,
        404,
        { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' },
        'application/problem+json',
      );
    } catch (err) {
      send(res, 500, { status: 'error', error: String(err) });
    }
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve(server));
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}
