/**
 * Entry of an isolated execution (a worker thread or a forked process): loads the handler's
 * module, runs one attempt and relays progress, logs and heartbeats to the worker.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { toJobError, type JobContext, type JobLog, type LogLevel } from '../handler';
import { loadDefinition } from './load-definition';
import type { FromIsolate, ToIsolate } from './protocol';

const port = isMainThread ? null : parentPort;
const controller = new AbortController();

function send(msg: FromIsolate): Promise<void> {
  if (port) {
    port.postMessage(msg);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function logger(): JobLog {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void =>
      void send({ kind: 'log', level, message, ...(fields ? { fields } : {}) });
  return Object.assign(at('info'), { debug: at('debug'), warn: at('warn'), error: at('error') });
}

async function run(msg: Extract<ToIsolate, { kind: 'run' }>): Promise<void> {
  let reply: FromIsolate;
  try {
    const def = await loadDefinition(msg.module, msg.job.type);
    const ctx: JobContext<never> = {
      ...msg.job,
      payload: msg.job.payload as never,
      signal: controller.signal,
      progress: (progress) => void send({ kind: 'progress', progress }),
      log: logger(),
      heartbeat: () => void send({ kind: 'heartbeat' }),
    };
    const result = await def.handle(ctx);
    reply = { kind: 'result', ok: true, result: result ?? null };
  } catch (err) {
    reply = { kind: 'result', ok: false, error: toJobError(err) };
  }
  await send(reply);
  // Timers or sockets the handler left open must not keep the isolate alive.
  process.exit(0);
}

function receive(msg: ToIsolate): void {
  if (msg.kind === 'run') void run(msg);
  else controller.abort(new Error(msg.reason));
}

if (port) port.on('message', receive);
else {
  process.on('message', receive);
  // The worker died: an orphaned isolate must not run on.
  process.on('disconnect', () => process.exit(1));
}
