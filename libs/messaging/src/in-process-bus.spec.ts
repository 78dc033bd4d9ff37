import { DEAD_LETTER_QUEUE } from '@jobplane/contracts';
import { collector, describeBusContract, holdsFor, json, waitFor } from './bus-contract.spec-helper';
import { InProcessBus } from './in-process-bus';
import type { Topology } from './message-bus';
import { silentLogger } from './support';

describeBusContract('InProcessBus', {
  create: () => new InProcessBus({ logger: silentLogger }),
  readyCount: async (bus, queue) => (bus as InProcessBus).queueDepth(queue),
});

describe('InProcessBus specifics', () => {
  const topology: Topology = {
    exchanges: [{ name: 'work', kind: 'direct' }],
    queues: [{ name: 'q', bindings: [{ exchange: 'work', routingKey: 'k' }] }],
  };
  let bus: InProcessBus;
  beforeEach(async () => {
    bus = new InProcessBus({ logger: silentLogger });
    await bus.start(topology);
  });
  afterEach(() => bus.close());

  it('dead-letters to the shared dead-letter queue by default', async () => {
    await bus.consume('q', (d) => d.nack(false), { prefetch: 1 });
    await bus.publish([{ exchange: 'work', routingKey: 'k', body: json('bad') }]);
    await waitFor(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 1, 'the dead letter');
    const dead = collector({ ack: true });
    await bus.consume(DEAD_LETTER_QUEUE, dead.handler, { prefetch: 1 });
    await waitFor(() => dead.deliveries.length === 1, 'the dead letter delivery');
    expect(dead.deliveries[0]!.headers).toMatchObject({
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': 'q',
      'x-first-death-exchange': 'work',
    });
  });

  it('never runs a consumer inside publish()', async () => {
    let called = false;
    await bus.consume('q', (d) => ((called = true), d.ack()), { prefetch: 1 });
    const publishing = bus.publish([{ exchange: 'work', routingKey: 'k', body: json(1) }]);
    expect(called).toBe(false);
    await publishing;
    await waitFor(() => called, 'the delivery');
  });

  it('gives every delivery its own copy of the body', async () => {
    const seen: string[] = [];
    await bus.consume(
      'q',
      (d) => {
        seen.push(d.body.toString());
        if (seen.length === 1) {
          d.body.fill(0x21); // scribble over our copy, then hand it back
          d.nack(true);
        } else d.ack();
      },
      { prefetch: 1 },
    );
    const body = Buffer.from('original');
    await bus.publish([{ exchange: 'work', routingKey: 'k', body }]);
    body.fill(0x3f); // the publisher reusing its buffer must not matter either
    await waitFor(() => seen.length === 2, 'the redelivery');
    expect(seen).toEqual(['original', 'original']);
  });

  it('requeues at the head and tracks unacked deliveries', async () => {
    const got = collector();
    await bus.consume('q', got.handler, { prefetch: 1 });
    await bus.publish(['a', 'b'].map((v) => ({ exchange: 'work', routingKey: 'k', body: Buffer.from(v) })));
    await waitFor(() => got.deliveries.length === 1, 'the first delivery');
    expect([bus.queueDepth('q'), bus.unackedCount('q')]).toEqual([1, 1]);
    got.deliveries[0]!.nack(true);
    await waitFor(() => got.deliveries.length === 2, 'the redelivery');
    expect(got.deliveries[1]!.body.toString()).toBe('a');
  });

  it('round-robins between consumers', async () => {
    const a = collector({ ack: true });
    const b = collector({ ack: true });
    await bus.consume('q', a.handler, { prefetch: 10 });
    await bus.consume('q', b.handler, { prefetch: 10 });
    await bus.publish([1, 2, 3, 4].map((n) => ({ exchange: 'work', routingKey: 'k', body: json(n) })));
    await waitFor(() => a.deliveries.length + b.deliveries.length === 4, 'all deliveries');
    expect([a.deliveries.length, b.deliveries.length]).toEqual([2, 2]);
  });

  it('routes through the default exchange by queue name', async () => {
    const got = collector({ ack: true });
    await bus.consume('q', got.handler, { prefetch: 1 });
    await bus.publish([{ exchange: '', routingKey: 'q', body: json(1) }]);
    await waitFor(() => got.deliveries.length === 1, 'the delivery');
  });

  it('refuses to redeclare a queue with different arguments', async () => {
    await expect(bus.declare({ exchanges: [], queues: [{ name: 'q', deliveryLimit: 1 }] })).rejects.toThrow(
      /different arguments/,
    );
    await expect(bus.declare({ exchanges: [], queues: [{ name: 'q' }] })).resolves.toEqual({ queues: ['q'] });
  });

  it('stops delivering once closed and ignores late acks', async () => {
    const got = collector();
    await bus.consume('q', got.handler, { prefetch: 1 });
    await bus.publish([1, 2].map((n) => ({ exchange: 'work', routingKey: 'k', body: json(n) })));
    await waitFor(() => got.deliveries.length === 1, 'the first delivery');
    await bus.close();
    got.deliveries[0]!.ack();
    await holdsFor(() => got.deliveries.length === 1, 'no delivery after close', 100);
    expect(bus.isConnected()).toBe(false);
  });
});
