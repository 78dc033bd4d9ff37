import { summary } from './stats';

/**
 * `count` clients on `GET /v1/events` (the tenant's whole live stream, as dashboards use it): each
 * counts the events it gets and how late each arrives after it occurred.
 */
export function watchEvents(apiUrl: string, apiKey: string, count: number) {
  const abort = new AbortController();
  const lagsMs: number[] = [];
  const received: number[] = new Array<number>(count).fill(0);
  let problems = 0;
  const opened: Promise<void>[] = [];
  const streams = Array.from({ length: count }, (_, k) =>
    (async () => {
      const res = await fetch(`${apiUrl}/v1/events`, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (res.status !== 200 || !res.body) throw new Error(`GET /v1/events answered ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      let event = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) {
            if (event === 'problem') problems++;
            received[k]!++;
            // Every 10th event is parsed for its lag: enough for percentiles, less client CPU.
            if (received[k]! % 10 === 0) {
              const at = Date.parse((JSON.parse(line.slice(6)) as { occurredAt?: string }).occurredAt ?? '');
              if (!Number.isNaN(at)) lagsMs.push(Date.now() - at);
            }
          }
        }
      }
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
    }),
  );
  opened.push(...streams);
  return {
    /** Resolves once every client has `expected` events, or after `timeoutMs` (then some were lost). */
    async settled(expected: number, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && received.some((n) => n < expected))
        await new Promise((r) => setTimeout(r, 200));
    },
    /** Stops every client and reports what they saw. */
    async stop() {
      abort.abort();
      await Promise.allSettled(opened);
      return {
        clients: count,
        eventsPerClient: summary(received),
        problemEvents: problems,
        deliveryLagMs: summary(lagsMs),
      };
    },
  };
}
