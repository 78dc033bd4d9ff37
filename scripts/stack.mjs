#!/usr/bin/env node
// pnpm stack:up / stack:down: the distributed stack as background processes on this machine
// (api :8080 + gRPC :50051, scheduler :8091, audit :8093, worker :8092), logs and pids in .stack/.
import { spawn, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, '.stack');
const pidFile = join(dir, 'pids.json');
const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  DATABASE_SCHEMA: 'jobplane',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ...process.env,
};
const services = [
  ['api', { PORT: env.PORT ?? '8080' }, env.PORT ?? '8080'],
  ['scheduler', { HEALTH_PORT: '8091' }, '8091'],
  ['audit', { HEALTH_PORT: '8093' }, '8093'],
  ['worker', { HEALTH_PORT: '8092' }, '8092'],
];

async function waitReady(name, port) {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not ready on :${port}; see .stack/${name}.log`);
}

// The admin key of this local stack: BOOTSTRAP_ADMIN_KEY if set, else one made once and kept in .stack/.
function adminKey() {
  if (env.BOOTSTRAP_ADMIN_KEY) return env.BOOTSTRAP_ADMIN_KEY;
  const file = join(dir, 'admin-key');
  if (!existsSync(file))
    writeFileSync(file, `jp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function up() {
  execSync('node scripts/services.mjs ensure', { cwd: root, stdio: 'inherit' });
  if (existsSync(pidFile)) await down();
  mkdirSync(dir, { recursive: true });
  env.BOOTSTRAP_ADMIN_KEY = adminKey();
  const pids = {};
  for (const [name, extra, port] of services) {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [join(root, 'apps', name, 'dist', 'main.js')], {
      env: { ...env, ...extra }, stdio: ['ignore', log, log], detached: true,
    });
    child.unref();
    pids[name] = child.pid;
    writeFileSync(pidFile, JSON.stringify(pids));
    await waitReady(name, port);
    console.log(`${name} ready (pid ${child.pid}, :${port})`);
  }
  console.log(`\njobplane (distributed) at http://127.0.0.1:${services[0][2]}  — logs in .stack/, stop with pnpm stack:down`);
  console.log(`admin API key (kept in .stack/admin-key):\n  export JOBPLANE_API_KEY=${env.BOOTSTRAP_ADMIN_KEY}`);
}

async function down() {
  if (!existsSync(pidFile)) return console.log('no stack running');
  const pids = JSON.parse(readFileSync(pidFile, 'utf8'));
  for (const [name, pid] of Object.entries(pids).reverse()) {
    try { process.kill(pid, 'SIGTERM'); console.log(`${name}: SIGTERM sent (pid ${pid})`); } catch { /* already gone */ }
  }
  rmSync(pidFile);
}

const cmd = process.argv[2];
(cmd === 'up' ? up() : cmd === 'down' ? down() : Promise.reject(new Error('usage: stack.mjs up|down'))).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
