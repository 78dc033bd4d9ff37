import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** One peer driver line: `{system, n, concurrency, total_s, jobs_per_s, lat_p50_ms, lat_p99_ms, ...}`. */
export type PeerResult = Record<string, unknown> & { system: string; jobs_per_s?: number };

/** The peers `--peers` runs: system name (as the drivers print it) and the driver command. */
const DRIVERS: { system: string; cmd: string[] }[] = [
  { system: 'bullmq', cmd: ['node', 'bullmq.js'] },
  { system: 'amqplib-quorum', cmd: ['node', 'amqplib.js', '{n}', '{c}', 'quorum'] },
  { system: 'pg-raw-batched', cmd: ['node', 'pg_raw.js'] },
  { system: 'graphile-worker-batched', cmd: ['node', 'graphile.js', '{n}', '{c}', 'batched'] },
  { system: 'pg-boss-batch1000x4', cmd: ['node', 'pgboss.js', '{n}', '{c}', 'batch1000x4'] },
  { system: 'celery-threads', cmd: ['/usr/bin/python3', 'celery_bench.py', '{n}', '{c}', 'threads'] },
];

/**
 * Runs the peer drivers of `source` (../shared/peers) on this machine, now, with the same N and
 * concurrency as our burst, so our figures can be quoted as ratios measured in the same run. The
 * drivers are copied to `workDir` (their npm packages are installed there, not in the shared copy).
 * A peer that cannot run is reported with the reason instead of a figure.
 */
export function runPeers(
  source: string,
  workDir: string,
  n: number,
  concurrency: number,
  only: RegExp,
): PeerResult[] {
  if (!existsSync(join(source, 'README.md'))) throw new Error(`no peer drivers at ${source} (--peers-dir)`);
  if (!existsSync(join(workDir, 'node_modules', 'bullmq'))) {
    cpSync(source, workDir, { recursive: true, mode: 0 });
    execFileSync(
      'sh',
      ['-c', 'chmod -R u+w . && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)'],
      {
        cwd: workDir,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  const env = {
    ...process.env,
    PG_URL: process.env.PEERS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  const results: PeerResult[] = [];
  for (const d of DRIVERS.filter((x) => only.test(x.system))) {
    const args = d.cmd.slice(1).map((a) => a.replace('{n}', String(n)).replace('{c}', String(concurrency)));
    if (args.length === 1) args.push(String(n), String(concurrency));
    const run = spawnSync(d.cmd[0]!, args, { cwd: workDir, env, encoding: 'utf8', timeout: 600_000 });
    const last = run.stdout?.trim().split('\n').at(-1) ?? '';
    try {
      results.push({ ...(JSON.parse(last) as PeerResult), system: d.system });
    } catch {
      const why = (run.stderr ?? '').trim().split('\n').slice(-2).join(' | ').slice(0, 300);
      results.push({ system: d.system, skipped: `did not run (exit ${run.status ?? run.signal}): ${why}` });
    }
  }
  return results;
}
