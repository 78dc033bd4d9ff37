import type { AddressInfo } from 'node:net';
import { ERROR_CODES, Principal } from '@jobplane/contracts';
import { JobNotFoundError } from '@jobplane/persistence';
import { createLogger } from '@jobplane/telemetry';
import { WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticator';
import type { JobsService } from '../jobs.service';
import { ApiProblem } from '../problems';
import type { JobEventFeed } from './job-event-feed';
import { WsSession } from './ws-session';

/** The only valid key is 'rw'; anything else is refused. */
const auth: Authenticator = {
  authenticate: (key) => {
    if (key === 'rw')
      return Promise.resolve({ tenant: 't9', scopes: ['jobs:read', 'jobs:write'], keyId: 'k1' });
    return Promise.reject(new ApiProblem(401, ERROR_CODES.unauthenticated, 'Invalid API key'));
  },
};
const READ_ONLY: Principal = { tenant: 't9', scopes: ['jobs:read'], keyId: 'k2' };
const feed = {
  openJob: (_t: string, id: string) => Promise.reject(new JobNotFoundError(id)),
} as unknown as JobEventFeed;

describe('WsSession authentication and scopes', () => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws, req) => {
      // As LiveSocket does: a key in the handshake means a session that starts authenticated.
      const principal = req.url?.includes('key=ro') ? READ_ONLY : undefined;
      new WsSession(ws, principal, {
        jobs: {} as JobsService,
        feed,
        auth,
        logger: createLogger('test', 'silent'),
        maxBufferedBytes: 1 << 20,
        stallMs: 1_000,
      });
    });
  });
  afterAll(() => new Promise((r) => wss.close(r)));

  const connect = async (path = '') => {
    const ws = new WebSocket(url + path);
    const frames: any[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    const next = async () => {
      for (let i = 0; i < 200 && frames.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      return frames.shift();
    };
    return { ws, next, send: (f: unknown) => ws.send(JSON.stringify(f)) };
  };

  it('accepts the key as a first frame when the handshake had none', async () => {
    const c = await connect();
    c.send({ op: 'reconnect_job', jobId: '0190a1b2-0000-7000-8000-000000000000', ref: 'a' });
    expect(await c.next()).toMatchObject({
      type: 'error',
      ref: 'a',
      error: { code: 'unauthenticated', status: 401 },
    });
    c.send({ op: 'auth', token: 'wrong' });
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'unauthenticated' } });
    c.send({ op: 'auth', token: 'rw' });
    expect(await c.next()).toEqual({ type: 'ready', tenant: 't9' });
    c.send({ op: 'reconnect_job', jobId: '0190a1b2-0000-7000-8000-000000000000' });
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'not_found', status: 404 } });
    c.ws.close();
  });

  it('refuses writes to a read-only key', async () => {
    const c = await connect('/?key=ro');
    expect(await c.next()).toEqual({ type: 'ready', tenant: 't9' });
    c.send({ op: 'run_job', job: { type: 'debug.echo' } });
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'forbidden', status: 403 } });
    c.send({ op: 'cancel_job', jobId: '0190a1b2-0000-7000-8000-000000000000' });
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    c.ws.close();
  });
});
