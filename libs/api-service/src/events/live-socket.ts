import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Principal } from '@jobplane/contracts';
import type { Logger } from '@jobplane/telemetry';
import { WebSocket, WebSocketServer } from 'ws';
import { AUTHENTICATOR, Authenticator, credentialFrom } from '../auth/authenticator';
import { JobsService } from '../jobs.service';
import { toProblem } from '../problems';
import { JOB_EVENT_FEED, JobEventFeed } from './job-event-feed';
import { LIVE_LOGGER } from './live-sse';
import { WsSession } from './ws-session';

export const WS_PATH = '/v1/ws';
const MAX_FRAME_BYTES = 1024 * 1024;
const PING_EVERY_MS = 30_000;

/**
 * `/v1/ws` on the api's HTTP server (the `ws` package on Node's upgrade event, beside Fastify). The
 * key comes from the handshake headers, `?access_token=`, or an `auth` first frame; a bad key in the
 * handshake is refused with 401 before the upgrade.
 */
@Injectable()
export class LiveSocket implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly sessions = new Set<WsSession>();
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JOB_EVENT_FEED) private readonly feed: JobEventFeed,
    @Inject(AUTHENTICATOR) private readonly auth: Authenticator,
    @Inject(LIVE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.host.httpAdapter.getHttpServer() as import('node:http').Server;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((err: unknown) => {
        this.logger.error({ err }, 'websocket upgrade failed');
        socket.destroy();
      });
    });
    // Dead peers (no pong since the last ping) are dropped so their streams end.
    const alive = new WeakSet<WebSocket>();
    this.pinger = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!alive.has(ws)) {
          ws.terminate();
          continue;
        }
        alive.delete(ws);
        ws.ping();
      }
    }, PING_EVERY_MS);
    this.pinger.unref();
    this.wss.on('connection', (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
    });
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    this.wss.close();
  }

  /** Open sessions (for tests and metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, { code: 'not_found', message: 'no such path' });
    socket.on('error', () => socket.destroy());
    const principal = await this.handshakePrincipal(req, url.searchParams.get('access_token'));
    if (principal instanceof Error) {
      const p = toProblem(principal);
      return refuse(socket, p.status, { code: p.code, message: p.detail ?? p.title });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      const session = new WsSession(ws, principal, {
        jobs: this.jobs,
        feed: this.feed,
        auth: this.auth,
        logger: this.logger,
        maxBufferedBytes: 1024 * 1024,
        stallMs: 30_000,
      });
      this.sessions.add(session);
      ws.on('close', () => this.sessions.delete(session));
    });
  }

  /** A principal, undefined when no key was sent and one is required (the first frame may bring it). */
  private async handshakePrincipal(
    req: IncomingMessage,
    token: string | null,
  ): Promise<Principal | undefined | Error> {
    const credential = credentialFrom(req.headers) ?? (token?.trim() || undefined);
    try {
      return await this.auth.authenticate(credential);
    } catch (err) {
      if (credential === undefined) return undefined;
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}

function refuse(socket: Duplex, status: number, body: { code: string; message: string }): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Forbidden'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
  );
}
