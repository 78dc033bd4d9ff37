/**
 * The behaviour every MessageBus adapter must share, registered once per adapter. Each suite uses
 * unique names and its own dead-letter exchange, so it never touches the shared jobplane.* ones.
 */
import { randomBytes } from 'node:crypto';
import type { Delivery, ExchangeKind, MessageBus, QueueSpec, Topology } from './message-bus';

export interface BusHarness {
  /** A fresh, not yet started bus. */
  create(): MessageBus;
  /** Ready (not delivered) messages in a queue. */
  readyCount(bus: MessageBus, queue: string): Promise<number>;
  /** Deletes broker-side state the suite created (AMQP); nothing to do in-process. */
  cleanup?(created: { exchanges: string[]; queues: string[] }): Promise<void>;
}

/** Polls until `predicate` holds; the only way these tests wait. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls for `durationMs` and fails as soon as `predicate` stops holding (asserts "nothing more happens"). */
export async function holdsFor(predicate: () => boolean, what: string, durationMs = 300): Promise<void> {
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    if (!predicate()) throw new Error(`Expected ${what} to keep holding`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function uniqueId(): string {
  return randomBytes(4).toString('hex');
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** A handler that records deliveries, optionally acking them. */
export function collector(opts: { ack?: boolean } = {}) {
  const deliveries: Delivery[] = [];
  return {
    deliveries,
    handler: (d: Delivery) => {
      deliveries.push(d);
      if (opts.ack) d.ack();
    },
  };
}

export function describeBusContract(label: string, harness: BusHarness): void {
  describe(`${label} — MessageBus contract`, () => {
    const id = uniqueId();
    const created = { exchanges: [] as string[], queues: [] as string[] };
    const buses: MessageBus[] = [];
    const name = (what: string) => `test.${id}.${what}`;

    async function startBus(topology: Topology): Promise<MessageBus> {
      created.exchanges.push(...topology.exchanges.map((e) => e.name));
      created.queues.push(...topology.queues.map((q) => q.name).filter((n) => n !== ''));
      const bus = harness.create();
      buses.push(bus);
      await bus.start(topology);
      return bus;
    }

    /** An exchange, queues bound to it, and a private dead-letter exchange + queue. */
    function topo(
      tag: string,
      kind: ExchangeKind,
      queues: { suffix: string; key: string; spec?: Partial<QueueSpec> }[],
    ) {
      const exchange = name(`${tag}.x`);
      const dlx = name(`${tag}.dlx`);
      const dlq = name(`${tag}.dlq`);
      const names = queues.map((q) => name(`${tag}.${q.suffix}`));
      const topology: Topology = {
        exchanges: [
          { name: exchange, kind },
          { name: dlx, kind: 'fanout' },
        ],
        queues: [
          ...queues.map((q, i) => ({
            name: names[i]!,
            deadLetterExchange: dlx,
            bindings: [{ exchange, routingKey: q.key }],
            ...q.spec,
          })),
          { name: dlq, deadLetterExchange: dlx, bindings: [{ exchange: dlx, routingKey: '' }] },
        ],
      };
      return { topology, exchange, dlq, queues: names };
    }

    afterEach(async () => {
      await Promise.all(buses.splice(0).map((b) => b.close()));
    });
    afterAll(async () => {
      await harness.cleanup?.(created);
    });

    it('round-trips body, headers and metadata', async () => {
      const t = topo('rt', 'topic', [{ suffix: 'q', key: '#' }]);
      const bus = await startBus(t.topology);
      const got = collector({ ack: true });
      await bus.consume(t.queues[0]!, got.handler, { prefetch: 10 });
      await bus.publish([
        {
          exchange: t.exchange,
          routingKey: 'job.created',
          body: json({ jobId: 'j1' }),
          headers: { traceparent: '00-abc-def-01', 'x-jobplane-v': '1' },
          messageId: 'm-1',
        },
      ]);
      await waitFor(() => got.deliveries.length === 1, 'the delivery');
      const d = got.deliveries[0]!;
      expect(JSON.parse(d.body.toString())).toEqual({ jobId: 'j1' });
      expect(d.headers).toMatchObject({ traceparent: '00-abc-def-01', 'x-jobplane-v': '1' });
      expect(d).toMatchObject({
        exchange: t.exchange,
        routingKey: 'job.created',
        messageId: 'm-1',
        redelivered: false,
        deliveryCount: 1,
      });
    });

    it('routes topics with * and #', async () => {
      const t = topo('topic', 'topic', [
        { suffix: 'all', key: 'job.#' },
        { suffix: 'one', key: 'job.*' },
      ]);
      const bus = await startBus(t.topology);
      const all = collector({ ack: true });
      const one = collector({ ack: true });
      await bus.consume(t.queues[0]!, all.handler, { prefetch: 10 });
      await bus.consume(t.queues[1]!, one.handler, { prefetch: 10 });
      const keys = ['job.created', 'job.attempt.started', 'job'];
      await bus.publish(
        keys.map((routingKey) => ({ exchange: t.exchange, routingKey, body: json(routingKey) })),
      );
      await waitFor(() => all.deliveries.length === 3 && one.deliveries.length === 1, 'topic deliveries');
      expect(all.deliveries.map((d) => d.routingKey).sort()).toEqual([...keys].sort());
      expect(one.deliveries[0]!.routingKey).toBe('job.created');
      await expect(
        bus.publish([{ exchange: t.exchange, routingKey: 'jobs.created', body: json(1) }]),
      ).rejects.toThrow(/unroutable/i);
    });

    it('fans out to every bound queue and routes direct keys exactly', async () => {
      const f = topo('fan', 'fanout', [
        { suffix: 'a', key: '' },
        { suffix: 'b', key: '' },
      ]);
      const d = topo('direct', 'direct', [
        { suffix: 'a', key: 'pool-a' },
        { suffix: 'b', key: 'pool-b' },
      ]);
      const bus = await startBus({
        exchanges: [...f.topology.exchanges, ...d.topology.exchanges],
        queues: [...f.topology.queues, ...d.topology.queues],
      });
      const got = new Map<string, string[]>();
      for (const q of [...f.queues, ...d.queues]) {
        got.set(q, []);
        await bus.consume(q, (m) => (got.get(q)!.push(m.routingKey), m.ack()), { prefetch: 10 });
      }
      await bus.publish([
        { exchange: f.exchange, routingKey: 'whatever', body: json(1) },
        { exchange: d.exchange, routingKey: 'pool-a', body: json(2) },
        { exchange: d.exchange, routingKey: 'pool-a', body: json(3) },
        { exchange: d.exchange, routingKey: 'pool-b', body: json(4) },
      ]);
      const counts = () => [...got.values()].map((v) => v.length);
      await waitFor(() => counts().join() === '1,1,2,1', 'fanout + direct deliveries');
      expect(got.get(f.queues[0]!)).toEqual(['whatever']);
      expect(got.get(d.queues[1]!)).toEqual(['pool-b']);
      await expect(
        bus.publish([{ exchange: d.exchange, routingKey: 'pool-c', body: json(5) }]),
      ).rejects.toThrow(/unroutable/i);
    });

    it('honours prefetch: unacked deliveries block further ones', async () => {
      const t = topo('prefetch', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const got = collector();
      await bus.consume(t.queues[0]!, got.handler, { prefetch: 2 });
      await bus.publish(
        [1, 2, 3, 4, 5].map((n) => ({ exchange: t.exchange, routingKey: 'k', body: json(n) })),
      );
      await waitFor(() => got.deliveries.length === 2, 'two deliveries');
      await holdsFor(() => got.deliveries.length === 2, 'exactly two deliveries');
      expect(await harness.readyCount(bus, t.queues[0]!)).toBe(3);
      got.deliveries[0]!.ack();
      await waitFor(() => got.deliveries.length === 3, 'a third delivery after one ack');
      await holdsFor(() => got.deliveries.length === 3, 'exactly three deliveries');
      expect(got.deliveries.map((d) => Number(d.body.toString()))).toEqual([1, 2, 3]);
    });

    it('redelivers a nack(requeue) with redelivered=true', async () => {
      const t = topo('requeue', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const got = collector();
      await bus.consume(
        t.queues[0]!,
        (d) => (got.handler(d), got.deliveries.length === 1 ? d.nack(true) : d.ack()),
        { prefetch: 1 },
      );
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json('again'), messageId: 'r-1' }]);
      await waitFor(() => got.deliveries.length === 2, 'the redelivery');
      expect(got.deliveries.map((d) => [d.redelivered, d.deliveryCount, d.messageId])).toEqual([
        [false, 1, 'r-1'],
        [true, 2, 'r-1'],
      ]);
    });

    it('dead-letters a nack(false) with the reason', async () => {
      const t = topo('reject', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const dead = collector({ ack: true });
      await bus.consume(t.dlq, dead.handler, { prefetch: 10 });
      await bus.consume(t.queues[0]!, (d) => d.nack(false), { prefetch: 1 });
      await bus.publish([
        { exchange: t.exchange, routingKey: 'k', body: json('poison'), headers: { a: 'b' } },
      ]);
      await waitFor(() => dead.deliveries.length === 1, 'the dead letter');
      const d = dead.deliveries[0]!;
      expect(d.body.toString()).toBe(JSON.stringify('poison'));
      expect(d.routingKey).toBe('k');
      expect(d.headers).toMatchObject({
        a: 'b',
        'x-first-death-reason': 'rejected',
        'x-first-death-queue': t.queues[0],
      });
    });

    it('dead-letters a message redelivered past the delivery limit', async () => {
      const t = topo('limit', 'direct', [{ suffix: 'q', key: 'k', spec: { deliveryLimit: 2 } }]);
      const bus = await startBus(t.topology);
      const dead = collector({ ack: true });
      const seen = collector();
      await bus.consume(t.dlq, dead.handler, { prefetch: 10 });
      await bus.consume(t.queues[0]!, (d) => (seen.handler(d), d.nack(true)), { prefetch: 1 });
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json('loop') }]);
      await waitFor(() => dead.deliveries.length === 1, 'the dead letter');
      // Limit 2 = two returns allowed: the third return dead-letters (RabbitMQ 3.10 and 4.x alike).
      expect(seen.deliveries.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
      expect(dead.deliveries[0]!.headers['x-first-death-reason']).toBe('delivery_limit');
    });

    it('requeues the message when the handler throws or rejects', async () => {
      const t = topo('throws', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const seen: Delivery[] = [];
      await bus.consume(
        t.queues[0]!,
        async (d) => {
          seen.push(d);
          if (seen.length === 1) throw new Error('handler bug (expected by this test)');
          if (seen.length === 2)
            return Promise.reject(new Error('async handler bug (expected by this test)'));
          d.ack();
        },
        { prefetch: 1 },
      );
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json('x') }]);
      await waitFor(() => seen.length === 3, 'two redeliveries');
      expect(seen.map((d) => d.redelivered)).toEqual([false, true, true]);
      await waitFor(async () => (await harness.readyCount(bus, t.queues[0]!)) === 0, 'an empty queue');
    });

    it('rejects unroutable publishes and unknown exchanges, and keeps working after', async () => {
      const t = topo('unroutable', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      await expect(
        bus.publish([{ exchange: t.exchange, routingKey: 'nobody', body: json(1) }]),
      ).rejects.toThrow(/unroutable/i);
      await expect(
        bus.publish([{ exchange: name('missing'), routingKey: 'k', body: json(1) }]),
      ).rejects.toThrow(/exchange/i);
      await bus.publish([{ exchange: t.exchange, routingKey: 'nobody', body: json(1), mandatory: false }]);
      const got = collector({ ack: true });
      await bus.consume(t.queues[0]!, got.handler, { prefetch: 1 });
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json('fine') }]);
      await waitFor(() => got.deliveries.length === 1, 'the routable message');
    });

    it('hands over to the next single active consumer when the first cancels', async () => {
      const t = topo('sac', 'direct', [{ suffix: 'q', key: 'k', spec: { singleActiveConsumer: true } }]);
      const bus = await startBus(t.topology);
      const first = collector({ ack: true });
      const second = collector({ ack: true });
      const sub = await bus.consume(t.queues[0]!, first.handler, { prefetch: 5 });
      await bus.consume(t.queues[0]!, second.handler, { prefetch: 5 });
      await bus.publish([1, 2, 3].map((n) => ({ exchange: t.exchange, routingKey: 'k', body: json(n) })));
      await waitFor(() => first.deliveries.length === 3, 'the active consumer to get all');
      expect(second.deliveries).toHaveLength(0);
      await sub.cancel();
      await bus.publish([4, 5].map((n) => ({ exchange: t.exchange, routingKey: 'k', body: json(n) })));
      await waitFor(() => second.deliveries.length === 2, 'the standby to take over');
      expect(first.deliveries).toHaveLength(3);
    });

    it('stops delivering after cancel but still accepts acks for held messages', async () => {
      const t = topo('cancel', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const got = collector();
      const sub = await bus.consume(t.queues[0]!, got.handler, { prefetch: 5 });
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json(1) }]);
      await waitFor(() => got.deliveries.length === 1, 'the first delivery');
      await sub.cancel();
      got.deliveries[0]!.ack();
      got.deliveries[0]!.ack(); // second settle is ignored
      await bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json(2) }]);
      await waitFor(
        async () => (await harness.readyCount(bus, t.queues[0]!)) === 1,
        'the new message to wait in the queue',
      );
      expect(got.deliveries).toHaveLength(1);
    });

    it('declares exclusive queues with generated names at run time', async () => {
      const t = topo('excl', 'fanout', []);
      const bus = await startBus(t.topology);
      const { queues } = await bus.declare({
        exchanges: [],
        queues: [{ name: '', kind: 'exclusive', bindings: [{ exchange: t.exchange, routingKey: '' }] }],
      });
      expect(queues[0]).toMatch(/^jobplane\.exclusive\./);
      const got = collector({ ack: true });
      await bus.consume(queues[0]!, got.handler, { prefetch: 1 });
      await bus.publish([{ exchange: t.exchange, routingKey: 'cancel', body: json('stop') }]);
      await waitFor(() => got.deliveries.length === 1, 'the control message');
    });

    it('delivers 5,000 published messages exactly once', async () => {
      const t = topo('bulk', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      const ids = new Set<string>();
      let count = 0;
      await bus.consume(t.queues[0]!, (d) => (count++, ids.add(d.messageId!), d.ack()), { prefetch: 200 });
      const n = 5_000;
      await bus.publish(
        Array.from({ length: n }, (_, i) => ({
          exchange: t.exchange,
          routingKey: 'k',
          body: json({ i }),
          messageId: `bulk-${i}`,
        })),
      );
      await waitFor(() => count >= n, `${n} deliveries`, 20_000);
      await holdsFor(() => count === n, 'no duplicate deliveries', 200);
      expect(ids.size).toBe(n);
    }, 30_000);

    it('closes idempotently and refuses work afterwards', async () => {
      const t = topo('close', 'direct', [{ suffix: 'q', key: 'k' }]);
      const bus = await startBus(t.topology);
      expect(bus.isConnected()).toBe(true);
      await Promise.all([bus.close(), bus.close()]);
      await bus.close();
      expect(bus.isConnected()).toBe(false);
      await expect(bus.publish([{ exchange: t.exchange, routingKey: 'k', body: json(1) }])).rejects.toThrow(
        /closed/i,
      );
    });
  });
}
