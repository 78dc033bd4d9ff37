import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import type { Backlog, BacklogEntry } from '../backlog.port';
import { BullmqBacklog } from './bullmq-backlog';
import { MemoryBacklog } from './memory-backlog';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-backlog-${randomBytes(4).toString('hex')}`;

const backlogs: [string, () => Backlog][] = [
  ['memory', () => new MemoryBacklog()],
  ['bullmq', () => new BullmqBacklog(REDIS_URL, prefix)],
];

/** A job's trace context rides with its backlog entry (BullMQ job data) to the dispatch. */
describe.each(backlogs)('%s backlog', (_name, make) => {
  let backlog: Backlog;
  beforeAll(() => (backlog = make()));
  afterAll(async () => {
    await backlog.close();
    const redis = new IORedis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const entry = (jobId: string, trace?: Record<string, string>): BacklogEntry => ({
    jobId,
    tenant: 't1',
    attempt: 0,
    pool: 'traced',
    priority: 10,
    notBefore: null,
    ...(trace ? { trace } : {}),
  });

  it('hands back the trace context an entry was added with, and none for an untraced one', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await backlog.add([entry('job-traced', { traceparent }), entry('job-plain')]);
    const first = await backlog.take({ pool: 'traced', tenant: 't1' });
    const second = await backlog.take({ pool: 'traced', tenant: 't1' });
    expect(first).toMatchObject({ jobId: 'job-traced', trace: { traceparent } });
    expect(second).toMatchObject({ jobId: 'job-plain', trace: null });
    await Promise.all([first!.done(), second!.done()]);
  });
});
