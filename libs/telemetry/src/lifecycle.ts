import { connect } from 'node:net';
import type { Logger } from 'pino';

/**
 * Runs `shutdown` once on SIGTERM or SIGINT, bounded by `timeoutMs`; exits 0 when it completes,
 * 1 when it failed or timed out. A second signal exits at once.
 */
export function onShutdownSignal(logger: Logger, timeoutMs: number, shutdown: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Sends PING over RESP and expects +PONG: a real Redis check without a client library. */
export function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`redis at ${u.host} did not answer within ${timeoutMs} ms`)),
    );
    socket.once('error', fail);
    socket.once('connect', () => {
      const auth = u.password
        ? `AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n`
        : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      const text = chunk.toString();
      if (text.includes('+PONG')) {
        socket.end();
        resolve();
      } else if (text.startsWith('-')) fail(new Error(`redis refused: ${text.trim()}`));
    });
  });
}
