import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { REPO_ROOT } from '@jobplane/testing';
import { useStack } from './jobs';

const CLI = join(REPO_ROOT, 'apps', 'jobctl', 'dist', 'main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built jobctl as a child process, pointed at the stack through the environment. */
describe('jobctl against the distributed stack', () => {
  const ctx = useStack({ workers: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function jobctl(...args: string[]): Promise<Run> {
    const key = ctx.stack.adminKey;
    const env = {
      ...process.env,
      JOBPLANE_API_URL: ctx.stack.apiUrl,
      ...(key ? { JOBPLANE_API_KEY: key } : {}),
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const json = (r: Run) => JSON.parse(r.stdout) as Record<string, any>;

  async function jobsOfManifest(manifest: string): Promise<number> {
    const { rows } = await ctx.pg.query(
      `SELECT count(*)::int AS n FROM jobs WHERE labels->>'manifest' = $1`,
      [manifest],
    );
    return rows[0].n as number;
  }

  it('plans, dispatches and verifies a debug manifest; a second dispatch creates nothing', async () => {
    const file = join(dir, 'debug.jsonl');
    const manifest = `e2e-${randomUUID().slice(0, 8)}`;
    const planned = await jobctl(
      'plan',
      '--mode',
      'debug',
      '--count',
      '50',
      '--id',
      manifest,
      '--out',
      file,
      '--json',
    );
    expect(planned.code).toBe(0);
    expect(json(planned)).toMatchObject({ count: 50, manifest });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(50);

    const first = await jobctl('dispatch', file, '--json', '--chunk', '20');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(json(first)).toMatchObject({ lines: 50, created: 50, existing: 0, skipped: 0, failed: 0 });
    const receipts = readFileSync(`${file}.receipts.jsonl`, 'utf8');
    expect(receipts.trim().split('\n')).toHaveLength(50);

    const verified = await jobctl('verify', file);
    expect(verified.stdout).toMatch(/^OK: 50\/50 jobs succeeded as expected \(succeeded 50\)/);
    expect(verified.code).toBe(0);

    // Receipted lines are skipped; without receipts the idempotency keys answer the same jobs.
    expect(json(await jobctl('dispatch', file, '--json'))).toMatchObject({ created: 0, skipped: 50 });
    rmSync(`${file}.receipts.jsonl`);
    expect(json(await jobctl('dispatch', file, '--json'))).toMatchObject({ created: 0, existing: 50 });
    expect(readFileSync(`${file}.receipts.jsonl`, 'utf8').split('\n').map(jobIdOf).sort()).toEqual(
      receipts.split('\n').map(jobIdOf).sort(),
    );
    expect(await jobsOfManifest(manifest)).toBe(50);
  });

  it('resumes a dispatch that stopped halfway, submitting only the rest', async () => {
    const file = join(dir, 'resume.jsonl');
    const manifest = `e2e-${randomUUID().slice(0, 8)}`;
    await jobctl('plan', '--mode', 'debug', '--count', '10', '--id', manifest, '--out', file);
    writeFileSync(
      file.replace('resume', 'half'),
      readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n'),
    );
    // The first half goes in under the full file's receipts, as if the run had died after it.
    const half = file.replace('resume', 'half');
    expect((await jobctl('dispatch', half)).code).toBe(0);
    writeFileSync(`${file}.receipts.jsonl`, readFileSync(`${half}.receipts.jsonl`));
    const rest = await jobctl('dispatch', file, '--json');
    expect(json(rest)).toMatchObject({ lines: 10, skipped: 5, created: 5, existing: 0 });
    expect((await jobctl('verify', file)).code).toBe(0);
    expect(await jobsOfManifest(manifest)).toBe(10);
  });

  it('verify exits non-zero naming the line whose job failed', async () => {
    const file = join(dir, 'failing.jsonl');
    const manifest = `e2e-${randomUUID().slice(0, 8)}`;
    await jobctl('plan', '--mode', 'debug', '--count', '4', '--id', manifest, '--out', file);
    const failing = { type: 'fail', idempotencyKey: `${manifest}:5`, labels: { manifest }, maxAttempts: 1 };
    writeFileSync(file, readFileSync(file, 'utf8') + JSON.stringify(failing) + '\n');
    expect((await jobctl('dispatch', file)).code).toBe(0);
    const verified = await jobctl('verify', file, '--json');
    expect(verified.code).toBe(1);
    const report = json(verified);
    expect(report).toMatchObject({ ok: false, lines: 5, succeeded: 4, states: { succeeded: 4, failed: 1 } });
    expect(report.problems).toEqual([expect.objectContaining({ line: 5, state: 'failed' })]);
    const human = await jobctl('verify', file);
    expect(human.stdout).toMatch(/FAILED: 4\/5 .*\n\s+line 5 job \S+: failed: handler_failed/);
  });

  it('submits, gets, watches, cancels; API errors print the problem and exit 1', async () => {
    const submitted = await jobctl(
      'submit',
      'sleep',
      '--payload',
      '{"seconds":1}',
      '--label',
      'via=jobctl',
      '--json',
    );
    expect(submitted.code).toBe(0);
    const id = json(submitted).id as string;
    const watched = await jobctl('watch', id, '--json');
    expect(watched.code).toBe(0);
    const events = watched.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    const history = (await ctx.api.get(`/v1/jobs/${id}/events`)).body.items as {
      seq: number;
      type: string;
    }[];
    expect(events.map((e) => [e.seq, e.type])).toEqual(history.map((e) => [e.seq, e.type]));
    expect(json(await jobctl('get', id, '--json'))).toMatchObject({
      id,
      state: 'succeeded',
      labels: { via: 'jobctl' },
    });

    const plain = await jobctl('watch', id, '--after', String(history.length - 1));
    expect(plain.stdout.trim()).toMatch(new RegExp(`^\\s*${history.length}\\s+\\S+\\s+succeeded`));

    const long = json(await jobctl('submit', 'sleep', '-p', '{"seconds":60}', '--json')).id as string;
    const watching = jobctl('watch', long);
    const cancelled = await jobctl('cancel', long, '--reason', 'e2e');
    expect(cancelled).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`cancel requested for ${long}`),
    });
    const end = await watching;
    expect(end.code).toBe(1);
    expect(end.stdout).toMatch(/cancelled/);

    const missing = await jobctl('get', randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404 Job not found/);
    const invalid = await jobctl('submit', 'debug.echo', '--priority', '999999');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/HTTP 400 Request validation failed.*priority/s);
    expect((await jobctl('list', '--limit', 'x')).code).toBe(2);
  });
});

function jobIdOf(line: string): string {
  return line ? (JSON.parse(line) as { jobId: string }).jobId : '';
}
