import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TcpOutage } from '@jobplane/testing';
import {
  ATTEMPT_CLAIM,
  createMessage,
  EVENTS_EXCHANGE,
  parseAttemptClaim,
  uuidv7,
  WORK_EXCHANGE,
} from '@jobplane/contracts';
import { AmqpBus, silentLogger } from '@jobplane/messaging';
import { createLogger } from '@jobplane/telemetry';
import { HandlerRegistry } from './handler';
import { WorkerRuntime } from './worker-runtime';

const AMQP = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const rabbitmqctl = (...args: string[]) =>
  execFileSync('rabbitmqctl', args, { stdio: 'ignore', timeout: 60_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(50))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/**
 * A broker restart while a job runs: the run's delivery dies with its channel and the broker
 * redelivers the attempt to the same worker, which must not run it twice. It used to ack that
 * redelivery and drop it; when the outcome then could not be published either (the broker gone
 * again), the attempt was lost for good — no delivery left to come back (chaos finding 7). The run
 * must adopt the redelivery, so an unpublished outcome still leaves the attempt with the broker.
 */
describe('WorkerRuntime: redelivery of an attempt running here', () => {
  const vhost = `jobplane-test-wr-${randomBytes(4).toString('hex')}`;
  const pool = 'p1';
  const proxy = TcpOutage.of(AMQP, 5672);
  let workerBus: AmqpBus;
  let observer: AmqpBus;
  let runtime: WorkerRuntime;
  let gate!: () => void;
  let runs = 0;
  const claims: string[] = [];

  beforeAll(async () => {
    rabbitmqctl('add_vhost', vhost);
    rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    await proxy.up();
    const url = (port: string) => {
      const u = new URL(AMQP);
      u.port = port;
      u.pathname = `/${encodeURIComponent(vhost)}`;
      return u.toString();
    };
    observer = new AmqpBus({ url: url(AMQP.port || '5672'), logger: silentLogger });
    await observer.start({
      exchanges: [
        { name: EVENTS_EXCHANGE, kind: 'topic' },
        { name: WORK_EXCHANGE, kind: 'direct' },
      ],
      queues: [
        { name: 'test.claims', bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: ATTEMPT_CLAIM }] },
        { name: 'test.events', bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: '#' }] },
      ],
    });
    await observer.consume(
      'test.claims',
      (d) => {
        const claim = parseAttemptClaim(d.body);
        if (claim.ok) claims.push(claim.value.jobId);
        d.ack();
      },
      { prefetch: 10 },
    );
    workerBus = new AmqpBus({
      url: url(String(proxy.port)),
      logger: silentLogger,
      publishTimeoutMs: 1_000,
      initialBackoffMs: 50,
      maxBackoffMs: 200,
    });
    await workerBus.start({ exchanges: [{ name: EVENTS_EXCHANGE, kind: 'topic' }], queues: [] });
    const registry = new HandlerRegistry().register({
      type: 'test.gated',
      handle: async () => {
        runs++;
        await new Promise<void>((r) => (gate = r));
        return 'done';
      },
    });
    runtime = new WorkerRuntime(workerBus, registry, createLogger('test', 'silent'), {
      workerId: 'w-redelivery',
      pools: [{ pool, concurrency: 1 }],
      drainMs: 100,
      heartbeatMs: 60_000,
      claimTimeoutMs: 300,
      claimRetryMs: 60_000,
    });
    await runtime.start();
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
    await workerBus.close();
    await observer.close();
    await proxy.down();
    rabbitmqctl('delete_vhost', vhost);
  }, 60_000);

  it('adopts it, and an outcome lost with the broker leaves the attempt to come back', async () => {
    const jobId = uuidv7();
    const dispatch = createMessage('job.dispatch', {
      jobId,
      tenant: 't1',
      data: { type: 'test.gated', pool, payload: null, attempt: 1, maxAttempts: 3, timeouts: null },
    });
    await observer.publish([
      {
        exchange: WORK_EXCHANGE,
        routingKey: pool,
        messageId: dispatch.id,
        body: Buffer.from(JSON.stringify(dispatch)),
      },
    ]);
    await until(() => runs === 1, 'the first run');

    // The broker connection drops and comes back: the attempt is redelivered here while it runs.
    let duplicates = 0;
    runtime.onClaim = (o) => void (o === 'duplicate' && duplicates++);
    await proxy.down();
    await sleep(200);
    await proxy.up();
    await until(() => duplicates === 1, 'the redelivery');
    expect(runs).toBe(1);

    // Gone again as the run ends: its outcome cannot be published within the publish timeout.
    await proxy.down();
    gate();
    await sleep(2_000);
    await proxy.up();
    // The attempt is still with the broker: it comes back (claimed first, as a redelivery), not lost.
    await until(() => claims.includes(jobId), 'the attempt delivered again');
    expect(runs).toBe(1);
  }, 60_000);
});
