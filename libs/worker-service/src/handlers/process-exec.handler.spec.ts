import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProcessExecOptions, processExecHandler } from './process-exec.handler';
import { runHandler } from './run-handler.spec-helper';

function run(options: ProcessExecOptions, payload: unknown, signal = new AbortController().signal) {
  return runHandler(processExecHandler(options), payload, { signal });
}

const processAlive = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim() !== '';
  } catch {
    return false;
  }
};

describe('process.exec', () => {
  it('refuses every command when PROCESS_EXEC_ALLOW is empty', async () => {
    await expect(run({ allow: [] }, { command: '/bin/echo', args: ['hi'] })).rejects.toMatchObject({
      code: 'process_exec_disabled',
      retryable: false,
      message: expect.stringContaining('PROCESS_EXEC_ALLOW'),
    });
  });

  it('refuses a command that is not allowlisted, and relative paths', async () => {
    await expect(
      run({ allow: ['/bin/echo'] }, { command: '/bin/sh', args: ['-c', 'id'] }),
    ).rejects.toMatchObject({
      code: 'command_refused',
      message: expect.stringMatching(/"\/bin\/sh" is not in PROCESS_EXEC_ALLOW/),
    });
    await expect(run({ allow: ['echo'] }, { command: './echo' })).rejects.toMatchObject({
      code: 'command_refused',
    });
    await expect(run({ allow: ['echo'] }, { command: '/bin/echo' })).rejects.toMatchObject({
      code: 'command_refused',
    });
  });

  it('runs /bin/echo with its arguments and captures stdout and the exit code', async () => {
    const out = await run({ allow: ['/bin/echo'] }, { command: '/bin/echo', args: ['hello', 'world'] });
    expect(out).toMatchObject({ exitCode: 0, signal: null, stdout: 'hello world\n', stderr: '' });
    expect(out.truncated).toEqual({ stdout: false, stderr: false });
  });

  it('resolves a bare allowlisted name through PATH', async () => {
    const out = await run({ allow: ['echo'] }, { command: 'echo', args: ['x'] });
    expect(out.stdout).toBe('x\n');
  });

  it('passes shell metacharacters literally (no shell)', async () => {
    const args = ['a; touch /tmp/pwned-jobplane', '$(id)', '`id`', '| cat', '&& false', "'q'", '*'];
    const out = await run({ allow: ['/bin/echo'] }, { command: '/bin/echo', args });
    expect(out.stdout).toBe(`${args.join(' ')}\n`);
    expect(existsSync('/tmp/pwned-jobplane')).toBe(false);
  });

  it('fails non-retryably on a non-zero exit unless told not to', async () => {
    await expect(run({ allow: ['/bin/false'] }, { command: '/bin/false' })).rejects.toMatchObject({
      code: 'process_failed',
      retryable: false,
      details: expect.objectContaining({ exitCode: 1 }),
    });
    const out = await run({ allow: ['/bin/false'] }, { command: '/bin/false', failOnNonZeroExit: false });
    expect(out.exitCode).toBe(1);
  });

  it('caps captured output', async () => {
    const out = await run(
      { allow: ['/usr/bin/head'], maxOutputBytes: 1000 },
      { command: '/usr/bin/head', args: ['-c', '100000', '/dev/zero'] },
    );
    expect(out.stdout).toHaveLength(1000);
    expect(out.truncated.stdout).toBe(true);
  });

  it('kills the process group when the job is cancelled', async () => {
    const ac = new AbortController();
    const marker = `${30 + Math.floor(Math.random() * 1000) / 1000}`;
    const started = Date.now();
    const job = run(
      { allow: ['/bin/sleep'], killGraceMs: 500 },
      { command: '/bin/sleep', args: [marker] },
      ac.signal,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(processAlive(`sleep ${marker}`)).toBe(true);
    ac.abort(new Error('cancelled'));
    await expect(job).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(processAlive(`sleep ${marker}`)).toBe(false);
  });

  it('SIGKILLs a process that ignores SIGTERM after the grace', async () => {
    const ac = new AbortController();
    const job = run(
      { allow: ['/bin/sh'], killGraceMs: 300 },
      { command: '/bin/sh', args: ['-c', 'trap "" TERM; sleep 30.123; true'] },
      ac.signal,
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    ac.abort(new Error('cancelled'));
    await expect(job).rejects.toThrow('cancelled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(processAlive('sleep 30.123')).toBe(false);
  });

  it('times out (retryably) and kills the process', async () => {
    await expect(
      run(
        { allow: ['/bin/sleep'], killGraceMs: 200 },
        { command: '/bin/sleep', args: ['30.456'], timeoutMs: 200 },
      ),
    ).rejects.toMatchObject({ code: 'process_timeout', retryable: true });
    expect(processAlive('sleep 30.456')).toBe(false);
  });

  it('does not leak the worker environment', async () => {
    process.env.JOBPLANE_TEST_SECRET = 's3cret';
    try {
      const out = await run({ allow: ['/usr/bin/env'] }, { command: '/usr/bin/env' });
      expect(out.stdout).not.toContain('s3cret');
      expect(out.stdout).toContain('PATH=');
    } finally {
      delete process.env.JOBPLANE_TEST_SECRET;
    }
  });
});
