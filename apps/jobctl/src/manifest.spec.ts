import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendReceipts,
  CRUD_LIFECYCLE,
  parseManifest,
  plan,
  readReceipts,
  resultProblem,
  toJsonl,
} from './manifest';

describe('manifests', () => {
  it('plans deterministic lines with idempotency keys <manifestId>:<line>', () => {
    const a = plan({ mode: 'debug', count: 3, manifestId: 'm1' });
    expect(a).toEqual(plan({ mode: 'debug', count: 3, manifestId: 'm1' }));
    expect(a.map((l) => l.idempotencyKey)).toEqual(['m1:1', 'm1:2', 'm1:3']);
    expect(a[1]).toEqual({
      type: 'debug.echo',
      payload: { manifest: 'm1', line: 2 },
      idempotencyKey: 'm1:2',
      labels: { manifest: 'm1', mode: 'debug' },
    });
    expect(plan({ mode: 'sleep', count: 1, seconds: 3, pool: 'p' })[0]).toMatchObject({
      type: 'sleep',
      payload: { seconds: 3 },
      pool: 'p',
    });
    const stress = plan({ mode: 'crud_stress', count: 10, manifestId: 's' });
    expect(new Set(stress.map((l) => l.type))).toEqual(new Set(['crud']));
    expect(new Set(stress.map((l) => l.priority)).size).toBeGreaterThan(1);
    expect(plan({ mode: 'debug', count: 2 })[0]!.idempotencyKey).not.toBe(
      plan({ mode: 'debug', count: 2 })[0]!.idempotencyKey,
    );
  });

  it('round-trips through JSONL, numbering lines like an editor and naming a bad line', () => {
    const lines = plan({ mode: 'crud', count: 2, manifestId: 'x' });
    const text = toJsonl(lines).replace('\n', '\n\n');
    expect(parseManifest(text)).toEqual([
      { line: 1, body: lines[0] },
      { line: 3, body: lines[1] },
    ]);
    expect(() => parseManifest('{"type":"a"}\n{oops\n')).toThrow(/line 2: not JSON/);
    expect(() => parseManifest('[1]\n')).toThrow(/line 1: not a job/);
  });

  it('checks results by job type', () => {
    const [echo] = plan({ mode: 'debug', count: 1, manifestId: 'e' });
    expect(resultProblem(echo!, echo!.payload)).toBeUndefined();
    // jsonb reorders keys: the same object with its keys in another order is the same result.
    expect(resultProblem(echo!, { line: 1, manifest: 'e' })).toBeUndefined();
    expect(resultProblem(echo!, { other: 1 })).toMatch(/is not the payload/);
    const [sleep] = plan({ mode: 'sleep', count: 1, seconds: 2 });
    expect(resultProblem(sleep!, { slept: 2 })).toBeUndefined();
    expect(resultProblem(sleep!, { slept: 1 })).toMatch(/slept/);
    const [crud] = plan({ mode: 'crud', count: 1 });
    expect(resultProblem(crud!, { lifecycle: CRUD_LIFECYCLE, ms: 3 })).toBeUndefined();
    expect(resultProblem(crud!, { lifecycle: ['created'] })).toMatch(/lifecycle/);
    expect(resultProblem({ type: 'other' }, null)).toBeUndefined();
  });

  it('keeps receipts across appends and survives a torn last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jobctl-')), 'm.jsonl.receipts.jsonl');
    expect(readReceipts(path).size).toBe(0);
    appendReceipts(path, [{ line: 1, jobId: 'a', created: true }]);
    writeFileSync(path, readFileSync(path, 'utf8') + '{"line":2,"jo', { flag: 'w' });
    expect([...readReceipts(path).keys()]).toEqual([1]);
    appendReceipts(path, [{ line: 2, jobId: 'b', created: false }]);
    expect([...readReceipts(path).values()]).toEqual([
      { line: 1, jobId: 'a', created: true },
      { line: 2, jobId: 'b', created: false },
    ]);
  });
});
