#!/usr/bin/env node
// Checks that PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1 and starts any that is stopped
// (with the commands this machine's services were installed with), so stack tests never depend on luck.
// Usage: node scripts/services.mjs [ensure|check]
import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';

const services = [
  {
    name: 'postgres', port: 5432,
    start: () => `pg_ctlcluster --skip-systemctl-redirect ${readdirSync('/etc/postgresql')[0]} main start`,
    probe: () => tcpExchange(5432, Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]), (b) => b.length > 0), // SSLRequest -> 'S' or 'N'
  },
  {
    name: 'redis', port: 6379,
    start: () => `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`,
    probe: () => tcpExchange(6379, Buffer.from('PING\r\n'), (b) => b.toString().includes('+PONG')),
  },
  {
    name: 'rabbitmq', port: 5672,
    start: () => 'rabbitmq-server -detached',
    probe: () => tcpExchange(5672, Buffer.from('AMQP\x00\x00\x09\x01'), (b) => b[0] === 1), // connection.start frame
  },
];

function tcpExchange(port, hello, ok, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (v) => { s.destroy(); resolve(v); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write(hello));
    s.once('data', (b) => done(ok(b)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ensure(svc, startIfDown) {
  if (await svc.probe()) return console.log(`${svc.name}: answering on 127.0.0.1:${svc.port}`);
  if (!startIfDown) throw new Error(`${svc.name} does not answer on 127.0.0.1:${svc.port}`);
  const cmd = svc.start();
  console.log(`${svc.name}: not answering; starting: ${cmd}`);
  try {
    execSync(cmd, { stdio: 'inherit', timeout: 120_000 });
  } catch (err) {
    throw new Error(`${svc.name} could not be started (${err.message}). Install it or start it, then retry.`);
  }
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (await svc.probe()) return console.log(`${svc.name}: started`);
    await sleep(500);
  }
  throw new Error(`${svc.name} started but does not answer on 127.0.0.1:${svc.port} after 90 s`);
}

const mode = process.argv[2] ?? 'ensure';
try {
  for (const svc of services) await ensure(svc, mode === 'ensure');
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
