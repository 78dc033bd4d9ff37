import { readFileSync, writeFileSync } from 'node:fs';
import { BATCH_MAX_JOBS, JobView, SubmitJobsResponse } from '@jobplane/contracts';
import { intOption, positionals, UsageError, Values } from '../args';
import { ApiError, Client, readJson } from '../client';
import type { Command, Context } from '../context';
import {
  appendReceipts,
  parseManifest,
  plan,
  PLAN_MODES,
  PlanMode,
  readReceipts,
  Receipt,
  receiptsPathOf,
  resultProblem,
  SubmitBody,
  toJsonl,
} from '../manifest';
import { TERMINAL_EVENTS } from '../watch-events';

/** The manifest workflow: plan a JSONL file of jobs, dispatch it (resumable), verify the outcome. */

export const planCommand: Command = {
  name: 'plan',
  usage: `plan --mode ${PLAN_MODES.join('|')} --count N [--out FILE] [--id MANIFEST_ID] [--pool P] [--seconds S]`,
  summary: 'write a JSONL manifest of jobs (to FILE or stdout)',
  options: {
    mode: { type: 'string' },
    count: { type: 'string' },
    out: { type: 'string', short: 'o' },
    id: { type: 'string' },
    pool: { type: 'string' },
    seconds: { type: 'string' },
  },
  async run(ctx, args, v) {
    positionals(args, []);
    const mode = v.mode as PlanMode | undefined;
    if (!mode || !PLAN_MODES.includes(mode)) throw new UsageError(`--mode: one of ${PLAN_MODES.join(', ')}`);
    const count = intOption(v, 'count', undefined, 1, 1_000_000);
    if (count === undefined) throw new UsageError('--count is required');
    if (typeof v.id === 'string' && !/^[A-Za-z0-9._-]{1,100}$/.test(v.id))
      throw new UsageError('--id: letters, digits, ".", "_" and "-" (max 100)');
    const lines = plan({
      mode,
      count,
      ...(typeof v.id === 'string' ? { manifestId: v.id } : {}),
      ...(typeof v.pool === 'string' ? { pool: v.pool } : {}),
      ...(v.seconds !== undefined ? { seconds: intOption(v, 'seconds', 1, 0, 86_400)! } : {}),
    });
    const out = v.out as string | undefined;
    if (!out) {
      ctx.stdout.write(toJsonl(lines));
      return 0;
    }
    writeFileSync(out, toJsonl(lines), { flag: 'wx' });
    const manifest = lines[0]!.labels!.manifest;
    ctx.print(`wrote ${count} ${mode} jobs to ${out} (manifest ${manifest})`, {
      file: out,
      manifest,
      mode,
      count,
    });
    return 0;
  },
};

/** Largest batch request body: below the API's 1 MiB body limit with room to spare. */
const MAX_BATCH_BYTES = 512 * 1024;

export const dispatchCommand: Command = {
  name: 'dispatch',
  usage: 'dispatch FILE [--chunk N]',
  summary: 'submit a manifest in batches; resumable: lines in FILE.receipts.jsonl are skipped',
  options: { chunk: { type: 'string' } },
  async run(ctx, args, v) {
    const [file] = positionals(args, ['file']);
    const chunkSize = intOption(v, 'chunk', BATCH_MAX_JOBS, 1, BATCH_MAX_JOBS)!;
    const lines = parseManifest(readManifest(file!));
    const receiptsPath = receiptsPathOf(file!);
    const done = readReceipts(receiptsPath);
    const pending = lines.filter((l) => !done.has(l.line));
    const failed: { line: number; error: string }[] = [];
    let created = 0;
    let existing = 0;
    let batch = true;
    for (const chunk of chunks(pending, chunkSize)) {
      let results = batch ? await submitBatch(ctx.client, chunk) : undefined;
      if (!results) {
        batch = false; // the API has no batch route: one request per job from here on
        results = await submitEach(ctx.client, chunk);
      }
      const receipts: Receipt[] = [];
      for (const r of results) {
        if ('error' in r) failed.push(r);
        else {
          receipts.push(r);
          if (r.created) created++;
          else existing++;
        }
      }
      appendReceipts(receiptsPath, receipts);
      if (!ctx.json && ctx.stderr.isTTY)
        ctx.stderr.write(`\rsubmitted ${created + existing}/${pending.length}`);
    }
    if (!ctx.json && ctx.stderr.isTTY) ctx.stderr.write('\n');
    const summary = {
      lines: lines.length,
      skipped: lines.length - pending.length,
      created,
      existing,
      failed: failed.length,
      receipts: receiptsPath,
      errors: failed.slice(0, 100),
    };
    ctx.print(
      `${lines.length} lines: ${created} submitted, ${existing} already known, ${summary.skipped} skipped (receipted), ${failed.length} failed` +
        failed
          .slice(0, 20)
          .map((f) => `\n  line ${f.line}: ${f.error}`)
          .join('') +
        `\nreceipts: ${receiptsPath}`,
      summary,
    );
    return failed.length ? 1 : 0;
  },
};

type Line = { line: number; body: SubmitBody };
type LineResult = Receipt | { line: number; error: string };

/** One `POST /v1/jobs:batch`; undefined when the API has no such route (404). */
async function submitBatch(client: Client, chunk: Line[]): Promise<LineResult[] | undefined> {
  const res = await client.fetch('POST', '/v1/jobs:batch', { body: { jobs: chunk.map((l) => l.body) } });
  if (res.status === 404) return undefined;
  const { items } = (await readJson(res)) as SubmitJobsResponse;
  return items.map((item) => {
    const line = chunk[item.index]!;
    return item.ok
      ? receiptOf(line, item.job, item.created)
      : { line: line.line, error: `${item.error.code}: ${item.error.message}` };
  });
}

async function submitEach(client: Client, chunk: Line[]): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for (let i = 0; i < chunk.length; i += 8) {
    out.push(
      ...(await Promise.all(
        chunk.slice(i, i + 8).map(async (l): Promise<LineResult> => {
          const res = await client.fetch('POST', '/v1/jobs', { body: l.body });
          try {
            return receiptOf(l, (await readJson(res)) as JobView, res.status === 201);
          } catch (err) {
            if (err instanceof ApiError) return { line: l.line, error: err.message };
            throw err;
          }
        }),
      )),
    );
  }
  return out;
}

function receiptOf(l: Line, job: JobView, created: boolean): Receipt {
  return {
    line: l.line,
    jobId: job.id,
    ...(l.body.idempotencyKey ? { idempotencyKey: l.body.idempotencyKey } : {}),
    created,
  };
}

/** Lines in chunks of at most `size` jobs and MAX_BATCH_BYTES. */
function* chunks(lines: Line[], size: number): Generator<Line[]> {
  let chunk: Line[] = [];
  let bytes = 0;
  for (const l of lines) {
    const b = Buffer.byteLength(JSON.stringify(l.body)) + 1;
    if (chunk.length && (chunk.length >= size || bytes + b > MAX_BATCH_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(l);
    bytes += b;
  }
  if (chunk.length) yield chunk;
}

export const verifyCommand: Command = {
  name: 'verify',
  usage: 'verify FILE [--timeout SECONDS]',
  summary: 'check every line of a dispatched manifest succeeded with the expected result',
  options: { timeout: { type: 'string' } },
  async run(ctx, args, v) {
    const [file] = positionals(args, ['file']);
    const lines = parseManifest(readManifest(file!));
    const receipts = readReceipts(receiptsPathOf(file!));
    const deadline = Date.now() + intOption(v, 'timeout', 300, 0, 86_400)! * 1000;
    const problems: { line: number; jobId?: string; state?: string; problem: string }[] = [];
    const byLine = new Map(lines.map((l) => [l.line, l.body]));
    let open = lines.flatMap((l) => {
      const r = receipts.get(l.line);
      if (!r) problems.push({ line: l.line, problem: 'not dispatched (no receipt)' });
      return r ? [r] : [];
    });
    let succeeded = 0;
    const states: Record<string, number> = {};
    while (open.length) {
      const jobs = await getAll(ctx.client, open);
      const still: Receipt[] = [];
      jobs.forEach((job, i) => {
        const r = open[i]!;
        if (!TERMINAL_EVENTS.includes(job.state) && Date.now() < deadline) return still.push(r);
        states[job.state] = (states[job.state] ?? 0) + 1;
        const problem =
          job.state !== 'succeeded'
            ? `${job.state}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}`
            : resultProblem(byLine.get(r.line)!, job.result);
        if (problem) problems.push({ line: r.line, jobId: r.jobId, state: job.state, problem });
        else succeeded++;
      });
      open = still;
      if (open.length) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    problems.sort((a, b) => a.line - b.line);
    reportVerify(ctx, v, { lines: lines.length, succeeded, states, problems });
    return problems.length ? 1 : 0;
  },
};

function reportVerify(
  ctx: Context,
  _v: Values,
  r: {
    lines: number;
    succeeded: number;
    states: Record<string, number>;
    problems: { line: number; jobId?: string; problem: string }[];
  },
) {
  const ok = r.problems.length === 0;
  const states = Object.entries(r.states)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  ctx.print(
    `${ok ? 'OK' : 'FAILED'}: ${r.succeeded}/${r.lines} jobs succeeded as expected${states ? ` (${states})` : ''}` +
      r.problems
        .slice(0, 20)
        .map((p) => `\n  line ${p.line}${p.jobId ? ` job ${p.jobId}` : ''}: ${p.problem}`)
        .join('') +
      (r.problems.length > 20 ? `\n  ... and ${r.problems.length - 20} more` : ''),
    { ok, ...r },
  );
}

/** The receipted jobs, 16 requests at a time. */
async function getAll(client: Client, receipts: Receipt[]): Promise<JobView[]> {
  const out: JobView[] = [];
  for (let i = 0; i < receipts.length; i += 16)
    out.push(
      ...(await Promise.all(
        receipts
          .slice(i, i + 16)
          .map((r) => client.json<JobView>('GET', `/v1/jobs/${encodeURIComponent(r.jobId)}`)),
      )),
    );
  return out;
}

function readManifest(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
