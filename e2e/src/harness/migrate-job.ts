import { spawn } from 'node:child_process';
import type { ChartConfig } from './chart-config';

/**
 * Runs the chart's migration hook Job (its container args, verbatim) from a build's root, the way
 * the pod runs it from the image's working directory; resolves with its duration in ms.
 */
export async function runMigrationJob(
  chart: ChartConfig,
  root: string,
  stackEnv: Record<string, string>,
): Promise<number> {
  const [cmd, ...args] = chart.migrate.args;
  if (cmd !== 'node') throw new Error(`the migration Job runs ${cmd}, not node`);
  const t0 = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...chart.migrate.env, ...stackEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`migration job exited ${code}: ${stderr}`);
  return Date.now() - t0;
}
