import { spawn } from 'node:child_process';
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { HandlerDefinition, NonRetryableError, RetryableError } from '../handler';

const payloadSchema = z.strictObject({
  /** An absolute path or a bare command name, exactly as PROCESS_EXEC_ALLOW lists it. */
  command: z.string().min(1).max(4096),
  /** Passed to the program as argv, never through a shell: `;`, `|`, `$()` and quotes are literal. */
  args: z.array(z.string().max(65_536)).max(1000).default([]),
  timeoutMs: z.number().int().min(1).max(86_400_000).default(60_000),
  /** false: a non-zero exit is a result, not a failure. */
  failOnNonZeroExit: z.boolean().default(true),
});
export type ProcessExecPayload = z.output<typeof payloadSchema>;

export interface ProcessExecOptions {
  /** PROCESS_EXEC_ALLOW: absolute paths or bare command names; empty = the handler refuses every job. */
  allow: readonly string[];
  /** SIGTERM to SIGKILL on cancel or timeout. */
  killGraceMs?: number;
  /** Per stream; the rest is dropped and `truncated` says so. */
  maxOutputBytes?: number;
}

export interface ProcessExecResult {
  command: string;
  args: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
}

/**
 * Runs one allowlisted program with arguments: `spawn` with `shell: false`, in its own process group
 * (so a cancel or timeout kills its children too), with a minimal environment (the worker's own
 * variables hold credentials the command has no business seeing).
 */
export function processExecHandler(options: ProcessExecOptions): HandlerDefinition<ProcessExecPayload> {
  const allowed = new Set(options.allow.map((c) => (isAbsolute(c) ? normalize(c) : c)));
  const graceMs = options.killGraceMs ?? 2_000;
  const maxBytes = options.maxOutputBytes ?? 64 * 1024;
  return {
    type: 'process.exec',
    payload: payloadSchema,
    handle: async ({ payload, signal }) => {
      const command = checkCommand(payload.command, allowed);
      const result = await runProcess(command, payload.args, payload.timeoutMs, signal, graceMs, maxBytes);
      if (result.timedOut) {
        throw new RetryableError(`${command} timed out after ${payload.timeoutMs} ms`, 'process_timeout', {
          stderr: result.stderr,
        });
      }
      signal.throwIfAborted();
      const { timedOut: _, ...out } = result;
      if (payload.failOnNonZeroExit && out.exitCode !== 0) {
        throw new NonRetryableError(
          `${command} exited with ${out.exitCode ?? out.signal}`,
          'process_failed',
          { ...out },
        );
      }
      return out;
    },
  };
}

function checkCommand(command: string, allowed: Set<string>): string {
  if (allowed.size === 0) {
    throw new NonRetryableError(
      'process.exec is disabled on this worker; list the allowed commands in PROCESS_EXEC_ALLOW',
      'process_exec_disabled',
    );
  }
  if (!isAbsolute(command) && command.includes('/')) {
    throw new NonRetryableError(
      `command "${command}" must be an absolute path or a bare name`,
      'command_refused',
    );
  }
  const key = isAbsolute(command) ? normalize(command) : command;
  if (!allowed.has(key)) {
    throw new NonRetryableError(
      `command "${command}" is not in PROCESS_EXEC_ALLOW (${[...allowed].join(', ')})`,
      'command_refused',
    );
  }
  return key;
}

function runProcess(
  command: string,
  args: string[],
  timeoutMs: number,
  signal: AbortSignal,
  graceMs: number,
  maxBytes: number,
): Promise<ProcessExecResult & { timedOut: boolean }> {
  signal.throwIfAborted();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      shell: false,
      detached: true, // its own process group, so killing -pid reaches grandchildren
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' },
    });
    const stdout = capture(maxBytes);
    const stderr = capture(maxBytes);
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (killTimer) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    signal.addEventListener('abort', stop, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', stop);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(new NonRetryableError(`cannot run ${command}: ${err.message}`, 'process_spawn_failed'));
    });
    child.on('close', (exitCode, exitSignal) => {
      cleanup();
      if (signal.aborted) return reject(signal.reason as Error);
      resolve({
        command,
        args,
        exitCode,
        signal: exitSignal,
        durationMs: Date.now() - started,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: { stdout: stdout.truncated(), stderr: stderr.truncated() },
        timedOut,
      });
    });
  });
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Keeps the first `max` bytes of a stream. */
function capture(max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  return {
    add: (chunk: Buffer) => {
      if (size >= max) {
        dropped = true;
        return;
      }
      const part = chunk.subarray(0, max - size);
      if (part.length < chunk.length) dropped = true;
      chunks.push(part);
      size += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    truncated: () => dropped,
  };
}
