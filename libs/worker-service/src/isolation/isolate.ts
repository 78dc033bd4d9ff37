import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { JobError, Progress } from '@jobplane/contracts';
import type { LogLevel } from '../handler';
import { FromIsolate, ISOLATE_ENV, ISOLATE_ERRORS, IsolatedJob, ToIsolate } from './protocol';

export interface IsolateHooks {
  progress(progress: Progress): void;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  heartbeat(): void;
}

export interface IsolateOptions {
  mode: 'thread' | 'process';
  memoryLimitMb?: number;
  /** The compiled child entry; tests running from sources point it at the built one. */
  entry?: string;
}

/** An isolate's result carried across the boundary: already a structured job error. */
export class IsolateFailure extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
  constructor(error: JobError) {
    super(error.message);
    this.code = error.code;
    this.retryable = error.retryable;
    if (error.details) this.details = error.details;
  }
}

const DEFAULT_ENTRY = join(__dirname, 'child-entry.js');
const STDERR_TAIL = 4096;

/**
 * One attempt of a handler in a worker thread or a child process of its own. `abort` fires the
 * handler's signal; `kill` ends it whatever it does (thread terminated, process group SIGKILLed).
 * The isolate dying without a result (out of memory, exit) is a retryable failure.
 */
export class Isolate {
  readonly result: Promise<unknown>;
  private settle!: { resolve: (v: unknown) => void; reject: (e: Error) => void };
  private settled = false;
  private exited = false;
  private readonly thread: Worker | null = null;
  private readonly child: ChildProcess | null = null;
  private stderr = '';

  constructor(
    module: string,
    job: IsolatedJob,
    private readonly hooks: IsolateHooks,
    private readonly opts: IsolateOptions,
  ) {
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    const entry = opts.entry ?? DEFAULT_ENTRY;
    const mb = opts.memoryLimitMb;
    if (opts.mode === 'thread') {
      this.thread = new Worker(entry, {
        env: { ...process.env, [ISOLATE_ENV]: 'thread' },
        ...(mb ? { resourceLimits: { maxOldGenerationSizeMb: mb } } : {}),
      });
      this.thread.on('message', (m: FromIsolate) => this.receive(m));
      this.thread.on('error', (err: Error & { code?: string }) => {
        const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.fail(oom ? ISOLATE_ERRORS.outOfMemory : ISOLATE_ERRORS.crashed, err.message);
      });
      this.thread.on('exit', (code) => this.onExit(`thread exited with code ${code}`));
    } else {
      this.child = fork(entry, [], {
        // Its own process group, so a kill reaches whatever the handler spawned too.
        detached: true,
        execArgv: mb ? [`--max-old-space-size=${mb}`] : [],
        env: { ...process.env, [ISOLATE_ENV]: 'process' },
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      this.child.stderr?.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL);
      });
      this.child.on('message', (m: FromIsolate) => this.receive(m));
      this.child.on('error', (err) => this.fail(ISOLATE_ERRORS.crashed, err.message));
      this.child.on('exit', (code, signal) => this.onExit(`process exited with ${signal ?? `code ${code}`}`));
    }
    this.post({ kind: 'run', module, job });
  }

  /** Fires the handler's signal. */
  abort(reason: string): void {
    this.post({ kind: 'abort', reason });
  }

  /** Ends the isolate now (idempotent). */
  kill(): void {
    if (this.exited) return;
    if (this.thread) void this.thread.terminate();
    else if (this.child?.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
  }

  private post(msg: ToIsolate): void {
    if (this.exited) return;
    if (this.thread) this.thread.postMessage(msg);
    else if (this.child?.connected) this.child.send(msg);
  }

  private receive(m: FromIsolate): void {
    switch (m.kind) {
      case 'progress':
        return this.hooks.progress(m.progress);
      case 'log':
        return this.hooks.log(m.level, m.message, m.fields);
      case 'heartbeat':
        return this.hooks.heartbeat();
      case 'result':
        if (this.settled) return;
        this.settled = true;
        if (m.ok) this.settle.resolve(m.result);
        else this.settle.reject(new IsolateFailure(m.error));
    }
  }

  private onExit(how: string): void {
    this.exited = true;
    const oom = /heap out of memory|Reached heap limit/i.test(this.stderr);
    this.fail(
      oom ? ISOLATE_ERRORS.outOfMemory : ISOLATE_ERRORS.crashed,
      oom
        ? `out of memory (limit ${this.opts.memoryLimitMb ?? 'default'} MB); ${how}`
        : `${how} without a result`,
    );
  }

  private fail(code: string, message: string): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.reject(
      new IsolateFailure({ code, message, retryable: true, details: { execution: this.opts.mode } }),
    );
  }
}
