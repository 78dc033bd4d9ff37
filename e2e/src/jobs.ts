import type { JobView } from '@jobplane/contracts';
import { ApiClient, eventually } from '@jobplane/testing';

export const TERMINAL = ['succeeded', 'failed', 'timeout', 'cancelled'];

export async function submit(api: ApiClient, body: Record<string, unknown>): Promise<JobView> {
  const res = await api.post<JobView>('/v1/jobs', body);
  if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitForState(api: ApiClient, id: string, states: string[], timeoutMs = 20_000): Promise<JobView> {
  return eventually(async () => (await api.get<JobView>(`/v1/jobs/${id}`)).body, {
    until: (job) => states.includes(job.state),
    timeoutMs,
    intervalMs: 25,
    what: `job ${id} in ${states.join('|')}`,
  });
}
