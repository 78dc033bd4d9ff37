import { credentials, loadPackageDefinition, Metadata, ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  ERROR_CODES,
  JobEventView,
  JobView,
  JOBS_PROTO_PATH,
  Principal,
  PROTO_LOADER_OPTIONS,
} from '@jobplane/contracts';
import { JobNotFoundError } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import { Authenticator } from '../auth/authenticator';
import { JobEventFeed } from '../events/job-event-feed';
import { ApiProblem } from '../problems';
import { GrpcServer } from './grpc-server';
import { JobsPort } from './jobs-port';

/**
 * The server's own behaviour over real loopback gRPC, with its ports faked: auth and scopes, and
 * WatchJob's cancellation both ways. The job use cases themselves run in e2e/src/grpc.stack.spec.ts.
 */

const JOB = '00000000-0000-4000-8000-000000000001';
const view = (tenant: string): JobView => ({
  id: JOB,
  tenant,
  type: 'x',
  pool: 'default',
  state: 'queued',
  priority: 0,
  payload: {},
  result: null,
  error: null,
  attempt: 0,
  maxAttempts: 3,
  runAt: null,
  labels: {},
  progress: null,
  cancelRequested: false,
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  startedAt: null,
  finishedAt: null,
});

/** Key "reader" = tenant a, read only; "writer" = tenant b, write only; anything else 401. */
const auth: Authenticator = {
  authenticate(credential): Promise<Principal> {
    if (credential === 'reader') return Promise.resolve({ tenant: 'a', scopes: ['jobs:read'], keyId: 'k1' });
    if (credential === 'writer') return Promise.resolve({ tenant: 'b', scopes: ['jobs:write'], keyId: 'k2' });
    return Promise.reject(
      new ApiProblem(401, ERROR_CODES.unauthenticated, 'Unauthenticated', 'no valid API key'),
    );
  },
};

/** One event, then waits for the watch to be aborted: records what it was asked and how it ended. */
class HangingFeed implements Pick<JobEventFeed, 'watchJob'> {
  calls: { tenant: string; afterSeq: number }[] = [];
  ended: Promise<string>;
  private end!: (how: string) => void;
  constructor() {
    this.ended = new Promise((resolve) => (this.end = resolve));
  }
  async *watchJob(tenant: string, _id: string, afterSeq: number, signal: AbortSignal) {
    this.calls.push({ tenant, afterSeq });
    try {
      const e: JobEventView = {
        jobId: JOB,
        seq: afterSeq + 1,
        type: 'queued',
        attempt: null,
        data: {},
        occurredAt: new Date(0).toISOString(),
      };
      yield e;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      this.end('aborted');
    } finally {
      this.end('returned');
    }
  }
}

const pkg = loadPackageDefinition(loadSync(JOBS_PROTO_PATH, PROTO_LOADER_OPTIONS)) as any;

describe('GrpcServer', () => {
  let server: GrpcServer;
  let feed: HangingFeed;
  let client: any;
  const gets: string[] = [];
  const jobs: JobsPort = {
    submit: () => Promise.reject(new Error('not used')),
    get: (tenant, id) => {
      gets.push(tenant);
      return tenant === 'a' ? Promise.resolve(view(tenant)) : Promise.reject(new JobNotFoundError(id));
    },
    list: () => Promise.resolve({ items: [], nextCursor: null }),
    cancel: (tenant) => Promise.resolve(view(tenant)),
    retry: (tenant) => Promise.resolve(view(tenant)),
  };

  beforeEach(async () => {
    feed = new HangingFeed();
    server = new GrpcServer({
      host: '127.0.0.1',
      port: 0,
      jobs,
      feed: feed as unknown as JobEventFeed, // WatchJob uses watchJob only
      auth,
      logger: createLogger('test', 'silent'),
    });
  });
  afterEach(async () => {
    client?.close();
    await server.stop();
  });

  async function start() {
    await server.start();
    client = new pkg.jobplane.v1.JobService(`127.0.0.1:${server.port}`, credentials.createInsecure());
  }

  const md = (headers: Record<string, string>) => {
    const m = new Metadata();
    for (const [k, v] of Object.entries(headers)) m.set(k, v);
    return m;
  };
  const call = (method: string, req: unknown, headers: Record<string, string>) =>
    new Promise<any>((resolve, reject) =>
      client[method](req, md(headers), (err: ServiceError | null, res: unknown) =>
        err ? reject(err) : resolve(res),
      ),
    );

  it('authenticates from metadata (Bearer or x-api-key) and enforces scopes', async () => {
    await start();
    await expect(call('GetJob', { id: JOB }, {})).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(call('GetJob', { id: JOB }, { authorization: 'Bearer nope' })).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    expect(await call('GetJob', { id: JOB }, { authorization: 'Bearer reader' })).toMatchObject({
      id: JOB,
      tenant: 'a',
    });
    expect(await call('GetJob', { id: JOB }, { 'x-api-key': 'reader' })).toMatchObject({ tenant: 'a' });
    await expect(call('CancelJob', { id: JOB }, { 'x-api-key': 'reader' })).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringMatching(/jobs:write/),
    });
    await expect(call('GetJob', { id: JOB }, { 'x-api-key': 'writer' })).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    expect(await call('CancelJob', { id: JOB }, { 'x-api-key': 'writer' })).toMatchObject({ tenant: 'b' });
    // Refused calls never reach the use cases.
    expect(gets).toEqual(['a', 'a']);
  });

  it('stops the watch at once when the client goes away', async () => {
    await start();
    const stream = client.WatchJob({ id: JOB, afterSeq: 7 }, md({ 'x-api-key': 'reader' }));
    const first = await new Promise<any>((resolve) => stream.once('data', resolve));
    expect(first).toMatchObject({ seq: 8, type: 'queued' });
    stream.on('error', () => undefined);
    stream.cancel();
    expect(await feed.ended).toBe('aborted');
    expect(feed.calls).toEqual([{ tenant: 'a', afterSeq: 7 }]);
  });

  it('ends open watches with UNAVAILABLE on stop', async () => {
    await start();
    const stream = client.WatchJob({ id: JOB }, md({ 'x-api-key': 'reader' }));
    await new Promise((resolve) => stream.once('data', resolve));
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    await server.stop();
    expect((await ended).code).toBe(status.UNAVAILABLE);
    expect(await feed.ended).toBe('aborted');
  });
});
