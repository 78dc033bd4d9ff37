import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@jobplane/testing';

export interface OldBuild {
  root: string;
  ref: string;
  /** Time spent building it here (0 when it was built already). */
  buildMs: number;
}

const built = (root: string) =>
  ['api', 'scheduler', 'worker', 'audit'].every((app) =>
    existsSync(join(root, 'apps', app, 'dist', 'main.js')),
  );

/**
 * The previous release for the rolling upgrade, so old and new code really run side by side:
 * - JOBPLANE_HARNESS_OLD_ROOT: a checkout of it, built already;
 * - JOBPLANE_HARNESS_OLD_REF: a git ref, exported with `git archive` into /tmp and built there
 *   (`pnpm install --frozen-lockfile --offline` and `pnpm build`; kept for the next run).
 * Neither set: undefined, and the harness rolls the current build onto itself.
 */
export function oldBuild(env = process.env): OldBuild | undefined {
  if (env.JOBPLANE_HARNESS_OLD_ROOT) {
    const root = env.JOBPLANE_HARNESS_OLD_ROOT;
    if (!built(root)) throw new Error(`JOBPLANE_HARNESS_OLD_ROOT=${root} has no built apps`);
    return { root, ref: root, buildMs: 0 };
  }
  const ref = env.JOBPLANE_HARNESS_OLD_REF;
  if (!ref) return undefined;
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim();
  const root = join('/tmp', `jobplane-old-${sha}`);
  if (built(root)) return { root, ref: `${ref} (${sha})`, buildMs: 0 };
  const t0 = Date.now();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const run = (cmd: string, cwd: string) =>
    execSync(cmd, { cwd, stdio: 'ignore', timeout: 900_000, env: { ...process.env, NX_DAEMON: 'false' } });
  run(`git archive ${sha} | tar -x -C ${root}`, REPO_ROOT);
  run('pnpm install --frozen-lockfile --offline', root);
  run('pnpm build', root);
  return { root, ref: `${ref} (${sha})`, buildMs: Date.now() - t0 };
}
