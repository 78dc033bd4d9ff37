/** Runs against a real RabbitMQ (AMQP_URL, default local guest). Every name is unique and removed after. */
import { execFile, execFileSync } from 'node:child_process';
import * as amqp from 'amqplib';
import { DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE } from '@jobplane/contracts';
import { AmqpBus } from './amqp-bus';
import {
  collector,
  describeBusContract,
  holdsFor,
  json,
  uniqueId,
  waitFor,
} from './bus-contract.spec-helper';
import type { Topology } from './message-bus';
import { silentLogger, type BusLogger } from './support';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
jest.setTimeout(15_000);

/** Plain amqplib access for assertions and cleanup, independent of the adapter under test. */
const raw = {
  model: undefined as amqp.ChannelModel | undefined,
  async withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
    if (!this.model) {
      this.model = await amqp.connect(AMQP_URL);
      this.model.on('error', () => undefined);
    }
    const ch = await this.model.createChannel();
    ch.on('error', () => undefined); // a failed RPC rejects with the same error
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  },
  readyCount(queue: string): Promise<number> {
    return this.withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
  },
  async deleteAll(created: { exchanges: string[]; queues: string[] }): Promise<void> {
    for (const q of new Set(created.queues))
      await this.withChannel((ch) => ch.deleteQueue(q)).catch(() => undefined);
    for (const e of new Set(created.exchanges))
      await this.withChannel((ch) => ch.deleteExchange(e)).catch(() => undefined);
  },
};
afterAll(async () => {
  await raw.model?.close();
});

function recordingLogger() {
  const messages: string[] = [];
  const rec = (o: object | string, m?: string) => void messages.push(typeof o === 'string' ? o : (m ?? ''));
  const logger: BusLogger = { info: rec, warn: rec, error: rec };
  return { logger, messages, count: (msg: string) => messages.filter((m) => m === msg).length };
}

describeBusContract('AmqpBus', {
  create: () =>
    new AmqpBus({
      url: AMQP_URL,
      connectionName: `jobplane-test-contract-${uniqueId()}`,
      logger: silentLogger,
    }),
  readyCount: (_bus, queue) => raw.readyCount(queue),
  cleanup: (created) => raw.deleteAll(created),
});

describe('AmqpBus against RabbitMQ', () => {
  const id = uniqueId();
  const created = { exchanges: [] as string[], queues: [] as string[] };
  const buses: AmqpBus[] = [];

  /** A direct exchange and one queue bound with key 'k', unique to this test. */
  async function setup(tag: string) {
    const exchange = `test.${id}.${tag}.x`;
    const queue = `test.${id}.${tag}.q`;
    created.exchanges.push(exchange);
    created.queues.push(queue);
    const topology: Topology = {
      exchanges: [{ name: exchange, kind: 'direct' }],
      queues: [{ name: queue, bindings: [{ exchange, routingKey: 'k' }] }],
    };
    const log = recordingLogger();
    const bus = new AmqpBus({
      url: AMQP_URL,
      connectionName: `jobplane-test-${id}-${tag}`,
      logger: log.logger,
    });
    buses.push(bus);
    await bus.start(topology);
    const send = (body: unknown) => bus.publish([{ exchange, routingKey: 'k', body: json(body) }]);
    return { bus, log, exchange, queue, topology, send };
  }

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await raw.deleteAll(created);
  });

  it('gives up connecting with an error naming the host, never the password', async () => {
    const bus = new AmqpBus({
      url: 'amqp://jobplane:s3cret@127.0.0.1:1',
      connectTimeoutMs: 700,
      logger: silentLogger,
    });
    const started = Date.now();
    const err = (await bus.start({ exchanges: [], queues: [] }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^Could not connect to RabbitMQ at amqp:\/\/127\.0\.0\.1:1 within 700 ms: .*ECONNREFUSED/,
    );
    expect(err.message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(bus.isConnected()).toBe(false);
  });

  it('declares the shared dead-letter exchange and queue', async () => {
    await setup('dlx');
    await expect(raw.withChannel((ch) => ch.checkExchange(DEAD_LETTER_EXCHANGE))).resolves.toBeDefined();
    await expect(raw.withChannel((ch) => ch.checkQueue(DEAD_LETTER_QUEUE))).resolves.toMatchObject({
      queue: DEAD_LETTER_QUEUE,
    });
  });

  it('reconnects after the socket dies: consumers resume, publishes wait and succeed', async () => {
    const { bus, log, queue, send } = await setup('reconnect');
    const got = collector({ ack: true });
    await bus.consume(queue, got.handler, { prefetch: 5 });
    await send(1);
    await waitFor(() => got.deliveries.length === 1, 'the first delivery');

    bus.destroySocketForTests();
    const inFlight = send(2); // issued before amqplib noticed: lost with the channel, then republished
    await waitFor(() => log.count('amqp connection lost') === 1, 'the loss to be noticed');
    expect(bus.isConnected()).toBe(false);
    const whileDown = send(3); // issued while disconnected: waits for the reconnect
    await Promise.all([inFlight, whileDown]);

    expect(bus.isConnected()).toBe(true);
    expect(log.count('amqp reconnected')).toBe(1);
    await waitFor(
      () => new Set(got.deliveries.map((d) => d.body.toString())).size === 3,
      'all three messages',
    );
    await send(4);
    await waitFor(() => got.deliveries.some((d) => d.body.toString() === '4'), 'a delivery after reconnect');
  });

  const hasRabbitmqctl = (() => {
    try {
      execFileSync('which', ['rabbitmqctl'], { stdio: 'ignore' });
      return /@(127\.0\.0\.1|localhost)[:/]/.test(AMQP_URL);
    } catch {
      return false;
    }
  })();
  (hasRabbitmqctl ? it : it.skip)('recovers when the broker force-closes the connection', async () => {
    const { bus, log, queue, send } = await setup('forced');
    const got = collector({ ack: true });
    await bus.consume(queue, got.handler, { prefetch: 5 });
    const ctl = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('rabbitmqctl', args, (e, out) => (e ? reject(new Error(e.message)) : resolve(out))),
      );
    const listing = await ctl('list_connections', '-q', '--no-table-headers', 'pid', 'client_properties');
    const line = listing.split('\n').find((l) => l.includes(`"${bus.connectionName}"`));
    expect(line).toBeDefined();
    await ctl('close_connection', line!.split('\t')[0]!, 'jobplane test: forced close');
    await waitFor(() => log.count('amqp reconnected') === 1, 'the reconnect', 10_000);
    await send('after');
    await waitFor(() => got.deliveries.length === 1, 'a delivery after the forced close');
  });

  it('keeps an exclusive queue name and its bindings across a reconnect', async () => {
    const { bus, log, exchange } = await setup('exclusive');
    const { queues } = await bus.declare({
      exchanges: [],
      queues: [{ name: '', kind: 'exclusive', bindings: [{ exchange, routingKey: 'k' }] }],
    });
    const got = collector({ ack: true });
    await bus.consume(queues[0]!, got.handler, { prefetch: 1 });
    bus.destroySocketForTests();
    await waitFor(() => log.count('amqp reconnected') === 1, 'the reconnect');
    await bus.publish([{ exchange, routingKey: 'k', body: json('cancel job') }]);
    await waitFor(() => got.deliveries.length >= 1, 'the control message on the redeclared queue');
  });

  it('stays usable while another connection still holds its exclusive queue', async () => {
    const { bus, log, exchange, queue, send } = await setup('locked');
    const { queues } = await bus.declare({
      exchanges: [],
      queues: [{ name: '', kind: 'exclusive', bindings: [{ exchange, routingKey: 'ctl' }] }],
    });
    const name = queues[0]!;
    const control = collector({ ack: true });
    await bus.consume(name, control.handler, { prefetch: 1 });
    // Play the half-dead old connection: grab the name while the bus sits in its reconnect backoff.
    bus.destroySocketForTests();
    const grab = () =>
      raw
        .withChannel((ch) => ch.assertQueue(name, { exclusive: true }))
        .then(
          () => true,
          () => false,
        );
    await waitFor(grab, 'the raw connection to own the exclusive queue');
    await waitFor(
      () => log.count('amqp exclusive queues not redeclared yet; retrying') >= 1,
      'the RESOURCE_LOCKED redeclare',
    );
    await waitFor(() => bus.isConnected(), 'the reconnect despite the locked queue');
    const work = collector({ ack: true });
    await bus.consume(queue, work.handler, { prefetch: 1 });
    await send('work goes on');
    await waitFor(() => work.deliveries.length === 1, 'work on the shared queue');
    // The old owner goes away: the queue is redeclared, rebound and consumed again.
    await raw.withChannel((ch) => ch.deleteQueue(name));
    await waitFor(() => log.count('amqp exclusive queues redeclared') === 1, 'the background redeclare');
    await waitFor(async () => {
      await bus.publish([{ exchange, routingKey: 'ctl', body: json('cancel'), mandatory: false }]);
      return control.deliveries.length > 0;
    }, 'the control consumer to resume');
  });

  it('resumes a consumer after its queue was deleted and declared again', async () => {
    const { bus, log, queue, topology, send } = await setup('recreated');
    const got = collector({ ack: true });
    await bus.consume(queue, got.handler, { prefetch: 1 });
    await raw.withChannel((ch) => ch.deleteQueue(queue));
    await waitFor(() => log.count('amqp consumer cancelled by the broker') === 1, 'the broker cancel');
    await bus.declare(topology);
    await waitFor(() => log.count('amqp consumer resumed') === 1, 'the consumer to resume');
    await send('back');
    await waitFor(() => got.deliveries.length === 1, 'a delivery on the recreated queue');
  });

  it('rejects a conflicting redeclaration and stays usable', async () => {
    const { bus, queue, send } = await setup('conflict');
    await expect(bus.declare({ exchanges: [], queues: [{ name: queue, deliveryLimit: 3 }] })).rejects.toThrow(
      /Declaring queue .* failed: .*PRECONDITION/,
    );
    expect(bus.isConnected()).toBe(true);
    await send('still fine');
    await waitFor(async () => (await raw.readyCount(queue)) === 1, 'the message in the queue');
  });

  it('carries x-death as JSON on dead letters', async () => {
    const { bus, exchange, queue } = await setup('xdeath');
    const dlx = `test.${id}.xdeath.dlx`;
    const dlq = `test.${id}.xdeath.dlq`;
    const rejecting = `test.${id}.xdeath.rejecting`;
    created.exchanges.push(dlx);
    created.queues.push(dlq, rejecting);
    await bus.declare({
      exchanges: [{ name: dlx, kind: 'fanout' }],
      queues: [
        { name: dlq, bindings: [{ exchange: dlx, routingKey: '' }] },
        { name: rejecting, deadLetterExchange: dlx, bindings: [{ exchange, routingKey: 'reject' }] },
      ],
    });
    const dead = collector({ ack: true });
    await bus.consume(dlq, dead.handler, { prefetch: 1 });
    await bus.consume(rejecting, (d) => d.nack(false), { prefetch: 1 });
    await bus.publish([{ exchange, routingKey: 'reject', body: json('no') }]);
    await waitFor(() => dead.deliveries.length === 1, 'the dead letter');
    const xDeath = JSON.parse(dead.deliveries[0]!.headers['x-death']!) as { reason: string; queue: string }[];
    expect(xDeath[0]).toMatchObject({ reason: 'rejected', queue: rejecting });
    expect(await raw.readyCount(queue)).toBe(0);
  });

  it('closes cleanly while reconnecting and never reconnects afterwards', async () => {
    const { bus, log } = await setup('close');
    bus.destroySocketForTests();
    await waitFor(() => log.count('amqp connection lost') === 1, 'the loss');
    await bus.close();
    await holdsFor(() => log.count('amqp reconnected') === 0 && !bus.isConnected(), 'staying closed', 400);
    await expect(bus.publish([{ exchange: 'x', routingKey: 'k', body: json(1) }])).rejects.toThrow(/closed/);
  });
});
