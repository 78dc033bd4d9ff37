import type { SubmitJobRequest } from '@jobplane/contracts';

/** Submits jobs over REST: the batch endpoint when the server has it, else single POSTs in parallel. */
export class Submitter {
  private batch: boolean | null = null;

  constructor(
    private readonly apiUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async one(job: SubmitJobRequest): Promise<string> {
    const res = await fetch(`${this.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify(job),
    });
    const body = (await res.json()) as { id?: string };
    if (res.status !== 201 || !body.id)
      throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
    return body.id;
  }

  /** All jobs: 4 batches of up to 1,000 in flight, or 50 single requests when there is no batch endpoint. */
  async many(jobs: SubmitJobRequest[]): Promise<{ ids: string[]; mode: 'batch' | 'single' }> {
    if (this.batch === null) this.batch = await this.probeBatch();
    const parallel = this.batch ? 4 : 50;
    const chunk = this.batch ? 1000 : 1;
    const chunks: SubmitJobRequest[][] = [];
    for (let i = 0; i < jobs.length; i += chunk) chunks.push(jobs.slice(i, i + chunk));
    const ids: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < chunks.length) {
        const c = chunks[next++]!;
        ids.push(...(this.batch ? await this.submitBatch(c) : [await this.one(c[0]!)]));
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    return { ids, mode: this.batch ? 'batch' : 'single' };
  }

  private async submitBatch(jobs: SubmitJobRequest[]): Promise<string[]> {
    const res = await fetch(`${this.apiUrl}/v1/jobs:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ jobs }),
    });
    const body = (await res.json()) as { items?: { ok: boolean; job?: { id: string } }[] };
    const items = body.items ?? [];
    if (res.status >= 300 || items.some((i) => !i.ok || !i.job))
      throw new Error(`batch submit answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
    return items.map((i) => i.job!.id);
  }

  private async probeBatch(): Promise<boolean> {
    const res = await fetch(`${this.apiUrl}/v1/jobs:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ jobs: [] }),
    });
    await res.arrayBuffer();
    return res.status !== 404;
  }
}
