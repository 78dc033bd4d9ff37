import { readFileSync } from 'node:fs';
import type { JobEventView } from '@jobplane/contracts';
import { eventually } from '@jobplane/testing';
import { submit, useStack, waitForState } from './jobs';
import { liveSubscribers, metricsOf, SseStream, useLiveKey } from './live';

/** Numbers for the closing note: live-event latency and the memory an idle SSE connection holds. */
describe('live events: latency and memory', () => {
  // 500 streams open within seconds: far above the default per-tenant request rate.
  const ctx = useStack({ workers: 1, workerPools: 'default:16', env: { TENANT_RATE_LIMIT: '*:100000' } });
  beforeAll(() => useLiveKey(ctx.stack.adminKey));

  it('delivers events to an SSE client within milliseconds of being recorded', async () => {
    const stream = await SseStream.open(`${ctx.stack.apiUrl}/v1/events`);
    const lag: Record<string, number[]> = {};
    // Read concurrently with submitting, so arrival times are taken as the events come in.
    const reading = (async () => {
      for (let terminal = 0; terminal < 50;) {
        const e = await stream.next();
        const at = Date.now();
        const view = JSON.parse(e!.data) as JobEventView;
        (lag[view.type] ??= []).push(at - Date.parse(view.occurredAt));
        if (view.type === 'succeeded') terminal++;
      }
    })();
    // Paced (not a burst), so the numbers show the path's latency rather than queueing behind a burst.
    for (let i = 0; i < 50; i++) {
      await submit(ctx.api, { type: 'debug.echo', payload: { i } });
      await new Promise((r) => setTimeout(r, 20));
    }
    await reading;
    stream.disconnect();
    const all = Object.values(lag).flat();
    // `dispatched` is stamped by the scheduler in the transaction that records it: ~ persisted -> received.
    const dispatched = lag.dispatched ?? [];
    console.log(
      `live latency over ${all.length} events: occurred->received ${pct(all)}; ` +
        `scheduler-recorded (dispatched, n=${dispatched.length}) ${pct(dispatched)}`,
    );
    expect(all.length).toBeGreaterThanOrEqual(200);
    expect(quantile(dispatched, 0.5)).toBeLessThan(500);
  });

  it('holds little memory per idle SSE connection', async () => {
    // Due in an hour: the stream stays idle (no events) while it is measured.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const job = await submit(ctx.api, { type: 'debug.echo', payload: {}, runAt });
    await waitForState(ctx.api, job.id, ['queued']);
    const url = `${ctx.stack.apiUrl}/v1/jobs/${job.id}/events`;
    const pid = ctx.stack.processes.find((p) => p.name === 'api')!.child.pid!;
    const warm = await Promise.all(Array.from({ length: 50 }, () => SseStream.open(url)));
    warm.forEach((s) => s.disconnect());
    await eventually(async () => liveSubscribers(await metricsOf(ctx.stack.apiUrl)), {
      until: (n) => n === 0,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const before = rssKiB(pid);
    const n = 500;
    const streams: SseStream[] = [];
    for (let i = 0; i < n; i += 50)
      streams.push(...(await Promise.all(Array.from({ length: 50 }, () => SseStream.open(url)))));
    await eventually(async () => liveSubscribers(await metricsOf(ctx.stack.apiUrl)), {
      until: (c) => c === n,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const after = rssKiB(pid);
    const perConn = (after - before) / n;
    console.log(
      `idle SSE connections: ${n}, api RSS ${before} KiB -> ${after} KiB, ~${perConn.toFixed(1)} KiB each`,
    );
    streams.forEach((s) => s.disconnect());
    await eventually(async () => liveSubscribers(await metricsOf(ctx.stack.apiUrl)), {
      until: (c) => c === 0,
    });
    expect(perConn).toBeLessThan(256);
    await ctx.api.post(`/v1/jobs/${job.id}:cancel`, {});
  });
});

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function pct(xs: number[]): string {
  return `p50 ${quantile(xs, 0.5)} ms, p99 ${quantile(xs, 0.99)} ms`;
}
