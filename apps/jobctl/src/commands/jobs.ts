import { readFileSync } from 'node:fs';
import type { JobPage, JobView } from '@jobplane/contracts';
import { intOption, keyValues, positionals, UsageError, Values } from '../args';
import type { Command } from '../context';
import { jobRow, jobSummary } from '../format';

/** Single-job commands: submit, get, list, cancel, retry. */

/** `--payload` as JSON text, or `@file` holding JSON. */
export function payloadOf(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--payload: cannot read ${raw.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--payload: not JSON (${(err as Error).message})`);
  }
}

export function submitBodyOf(type: string, v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { type };
  const payload = payloadOf(v.payload as string | undefined);
  if (payload !== undefined) body.payload = payload;
  if (v.pool) body.pool = v.pool;
  const priority = intOption(v, 'priority', undefined, -1_000_000, 1_000_000);
  if (priority !== undefined) body.priority = priority;
  const maxAttempts = intOption(v, 'max-attempts', undefined, 1, 1000);
  if (maxAttempts !== undefined) body.maxAttempts = maxAttempts;
  const labels = keyValues(v, 'label');
  if (labels) body.labels = labels;
  if (v['idempotency-key']) body.idempotencyKey = v['idempotency-key'];
  return body;
}

const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;

export const submitCommand: Command = {
  name: 'submit',
  usage:
    'submit TYPE [--payload JSON|@FILE] [--pool P] [--priority N] [--max-attempts N] [--label k=v]... [--idempotency-key K]',
  summary: 'submit one job',
  options: {
    payload: { type: 'string', short: 'p' },
    pool: { type: 'string' },
    priority: { type: 'string' },
    'max-attempts': { type: 'string' },
    label: { type: 'string', short: 'l', multiple: true },
    'idempotency-key': { type: 'string' },
  },
  async run(ctx, args, v) {
    const [type] = positionals(args, ['type']);
    const job = await ctx.client.json<JobView>('POST', '/v1/jobs', submitBodyOf(type!, v));
    ctx.print(`submitted ${job.id} (${job.state})`, job);
    return 0;
  },
};

export const getCommand: Command = {
  name: 'get',
  usage: 'get ID',
  summary: 'show a job',
  options: {},
  async run(ctx, args) {
    const [id] = positionals(args, ['id']);
    const job = await ctx.client.json<JobView>('GET', jobPath(id!));
    ctx.print(jobSummary(job), job);
    return 0;
  },
};

export const listCommand: Command = {
  name: 'list',
  usage: 'list [--state S] [--type T] [--pool P] [--limit N] [--cursor C] [--all]',
  summary: 'list jobs, newest first (one page, or --all pages)',
  options: {
    state: { type: 'string' },
    type: { type: 'string' },
    pool: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean', default: false },
  },
  async run(ctx, args, v) {
    positionals(args, []);
    const query = new URLSearchParams();
    for (const k of ['state', 'type', 'pool', 'cursor']) if (typeof v[k] === 'string') query.set(k, v[k]);
    const limit = intOption(v, 'limit', undefined, 1, 500);
    if (limit !== undefined) query.set('limit', String(limit));
    const items: JobView[] = [];
    let next: string | null;
    do {
      const page = await ctx.client.json<JobPage>('GET', `/v1/jobs?${query.toString()}`);
      items.push(...page.items);
      if (!ctx.json) for (const j of page.items) ctx.stdout.write(`${jobRow(j)}\n`);
      next = page.nextCursor;
      if (next) query.set('cursor', next);
    } while (v.all === true && next);
    if (ctx.json) ctx.print('', { items, nextCursor: next });
    else if (next) ctx.stdout.write(`more: --cursor ${next}\n`);
    return 0;
  },
};

function actionCommand(action: 'cancel' | 'retry', summary: string): Command {
  return {
    name: action,
    usage: `${action} ID [--reason TEXT]`,
    summary,
    options: { reason: { type: 'string' } },
    async run(ctx, args, v) {
      const [id] = positionals(args, ['id']);
      const body = typeof v.reason === 'string' ? { reason: v.reason } : {};
      const job = await ctx.client.json<JobView>('POST', `${jobPath(id!)}:${action}`, body);
      ctx.print(`${action === 'cancel' ? 'cancel requested for' : 'retrying'} ${job.id} (${job.state})`, job);
      return 0;
    },
  };
}

export const cancelCommand = actionCommand('cancel', 'cancel a queued or running job');
export const retryCommand = actionCommand('retry', 're-queue a failed, timed-out or cancelled job');
