import { randomUUID } from 'node:crypto';

export interface Submitted {
  id: string;
  phase: string;
}

/**
 * A paced submitter, the steady load of the harness: `ratePerSecond` short jobs (`sleep` 0.2-1 s
 * and `debug.echo`) on the pool, spread round-robin over the api endpoints like a Service would.
 * Each job carries an idempotency key, so a request cut off by a restarting api is retried on
 * another replica without creating the job twice (a client's duty, not a harness trick).
 */
export class SteadyLoad {
  readonly jobs: Submitted[] = [];
  /** Requests that failed (connection refused or reset, 5xx) and were retried. */
  retries = 0;
  phase = 'warmup';
  private endpoints: string[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly errors: Error[] = [];

  constructor(
    endpoints: string[],
    private readonly opts: { ratePerSecond: number; pool: string; apiKey: string },
  ) {
    this.endpoints = [...endpoints];
  }

  /** Changes the endpoints new requests go to (an api leaving or joining the Service). */
  setEndpoints(endpoints: string[]): void {
    if (endpoints.length === 0) throw new Error('no api endpoint left');
    this.endpoints = [...endpoints];
  }

  start(): void {
    // Ticks of 100 ms, each submitting its share, keep the rate steady without a burst per second.
    const perTick = this.opts.ratePerSecond / 10;
    let owed = 0;
    this.timer = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed--) {
        const p = this.submitOne(this.phase).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }, 100);
  }

  /** Stops submitting and waits for the requests in flight; throws if any job could not be submitted. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    if (this.errors.length)
      throw new Error(`${this.errors.length} submits failed: ${this.errors[0]!.message}`);
  }

  private body(): Record<string, unknown> {
    const echo = Math.random() < 0.3;
    return {
      type: echo ? 'debug.echo' : 'sleep',
      pool: this.opts.pool,
      payload: echo
        ? { n: this.jobs.length }
        : { seconds: Math.round((0.2 + Math.random() * 0.8) * 100) / 100 },
      idempotencyKey: randomUUID(),
    };
  }

  private async submitOne(phase: string): Promise<void> {
    const body = JSON.stringify(this.body());
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; ; attempt++) {
      const url = this.endpoints[this.next++ % this.endpoints.length]!;
      try {
        const res = await fetch(`${url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.apiKey}` },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await res.json()) as { id?: string };
        if ((res.status === 201 || res.status === 200) && json.id) {
          // 200 = the key was seen: a retry of a request whose answer was lost.
          if (res.status === 201 || !this.jobs.some((j) => j.id === json.id))
            this.jobs.push({ id: json.id, phase });
          return;
        }
        if (res.status < 500) throw new Error(`submit answered ${res.status}: ${JSON.stringify(json)}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('submit answered')) {
          this.errors.push(err);
          return;
        }
      }
      if (Date.now() > deadline) {
        this.errors.push(new Error(`no api accepted a job within 30 s (${attempt + 1} attempts)`));
        return;
      }
      this.retries++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
