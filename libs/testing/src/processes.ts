import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './eventually';

/** The repository root, from this file (libs/testing/{src,dist}/processes.*). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  healthUrl: string;
  logFile: string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Starts one built app (`apps/<app>/dist/main.js`) as its own OS process, logging to `logDir`,
 * and waits until its readiness endpoint answers 200.
 */
export async function startService(opts: {
  name: string;
  app: 'api' | 'scheduler' | 'worker' | 'audit' | 'embedded';
  /** Run this script instead of the app's built main (a custom worker, say). */
  script?: string;
  env: Record<string, string>;
  healthPort: number;
  logDir: string;
  readyTimeoutMs?: number;
  /** Checkout whose built dist to run (an older release, say); default this repository. */
  root?: string;
}): Promise<ServiceProcess> {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${opts.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const script = opts.script ?? join(opts.root ?? REPO_ROOT, 'apps', opts.app, 'dist', 'main.js');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const healthUrl = `http://127.0.0.1:${opts.healthPort}/health/ready`;
  let exitedEarly: number | string | null = null;
  void exited.then((c) => (exitedEarly = c));
  await eventually(
    async () => {
      if (exitedEarly !== null) throw new Error(`${opts.name} exited with ${exitedEarly}; see ${logFile}`);
      const res = await fetch(healthUrl);
      return res.status === 200;
    },
    {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 200,
      what: `${opts.name} ready (log: ${logFile})`,
    },
  ).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { name: opts.name, child, healthUrl, logFile, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopService(p: ServiceProcess, graceMs = 15_000): Promise<number | string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
