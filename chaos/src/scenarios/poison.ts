import { DEFAULT_DELIVERY_LIMIT, type SubmitJobRequest } from '@jobplane/contracts';
import { ChaosRun, expectationOf, FAST_LIVENESS } from '../harness';
import { ISOLATED_PROBE_TYPE, PROBE_TYPE, type ProbeMode } from '../probe';
import { coreViolations, okProbe, type Scenario } from './common';

const MAX_ATTEMPTS = 2;
const HANG_HARD_MS = 3_000;

function poisonJob(mode: Exclude<ProbeMode, 'ok'>): SubmitJobRequest {
  const isolated = mode === 'oom' || mode === 'hang';
  return {
    type: isolated ? ISOLATED_PROBE_TYPE : PROBE_TYPE,
    payload: { ms: 0, mode },
    maxAttempts: MAX_ATTEMPTS,
    backoff: { type: 'fixed', baseMs: 200 },
    // Only the hang has a hard limit: the others must end by their attempts, however slowly the
    // workers they crash come back.
    ...(mode === 'hang' ? { timeouts: { hardMs: HANG_HARD_MS, retryOnTimeout: true } } : {}),
  };
}

/**
 * (11) Poison jobs (throws, kills its worker, exhausts its memory, hangs) among healthy ones: each
 * ends `failed` (`timeout` for the hang) after exactly its allowed attempts, is listed by the API
 * among the dead jobs, and the healthy jobs around it all succeed. Workers that a poison job
 * killed are restarted, as a supervisor would.
 */
export const poison: Scenario = {
  name: 'poison',
  fast: false,
  async run({ fast, scale, rng }) {
    const each = fast ? 2 : Math.round(5 * scale);
    const modes = ['throw', 'exit', 'oom', 'hang'] as const;
    const run = await ChaosRun.start('poison', { workers: 3, concurrency: 4, env: FAST_LIVENESS });
    run.supervise();
    try {
      // Crash-free poison first, so no worker crash takes it down as collateral; then `exit`.
      const plan: SubmitJobRequest[] = [];
      for (let i = 0; i < each; i++) {
        for (const m of modes.filter((x) => x !== 'exit')) plan.push(poisonJob(m));
        for (let k = 0; k < 5; k++) plan.push(okProbe(rng, 50, 300, 30_000));
      }
      await run.load.paced(plan.length, 10, (i) => plan[i]!);
      await run.waitTerminal(HANG_HARD_MS * MAX_ATTEMPTS + 60_000);
      await run.load.paced(each, 10, () => poisonJob('exit'));
      const report = await run.settleAndCheck(HANG_HARD_MS + 30_000, (s) => {
        const plan = expectationOf(s, MAX_ATTEMPTS);
        return plan.states.includes('timeout') ? { ...plan, states: ['timeout', 'failed'] } : plan;
      });
      // A poison job that kills its worker may run again in the same attempt (the broker redelivers
      // it before the scheduler hears the worker is gone): allowed, bounded by the crashed runs.
      // A job sharing a worker with `exit` poison dies with it, maybe before its probe started: it
      // may end `failed` (lost worker) with fewer runs than attempts. Its attempts are checked below.
      // `exit` poison runs again on every redelivery of its attempt (up to the queue's delivery
      // limit) and each run crashes a worker; the other jobs' extra runs are bounded by the crashes.
      const runs = await run.pg.query(
        `SELECT j.payload->>'mode' AS mode, count(e.*)::int AS runs
         FROM "${run.stack.schema}".jobs j LEFT JOIN "${run.ledgerSchema}".executions e ON e.job_id = j.id
         WHERE j.labels->>'chaos' = $1 GROUP BY j.id`,
        [run.runId],
      );
      const exitRuns = runs.rows.filter((r) => r.mode === 'exit').map((r) => r.runs as number);
      const exitExtra = exitRuns.reduce((a, n) => a + Math.max(0, n - MAX_ATTEMPTS), 0);
      const violations = coreViolations(report, report.inFlightOnFaulted + exitExtra).filter(
        (v) => !v.includes('before running their planned attempts'),
      );
      const overLimit = exitRuns.filter((n) => n > MAX_ATTEMPTS * (DEFAULT_DELIVERY_LIMIT + 1));
      if (overLimit.length)
        violations.push(`exit poison ran ${overLimit.join(',')} times, past the delivery limit`);
      const jobs = await run.pg.query(
        `SELECT id, state, attempt, payload->>'mode' AS mode, error->>'code' AS code FROM "${run.stack.schema}".jobs
         WHERE labels->>'chaos' = $1 AND payload->>'mode' <> 'ok'`,
        [run.runId],
      );
      const wrongAttempts = jobs.rows.filter((j) => j.attempt !== MAX_ATTEMPTS);
      if (wrongAttempts.length)
        violations.push(`attempts not exhausted exactly: ${JSON.stringify(wrongAttempts)}`);
      const expectedCode: Record<string, string> = {
        throw: 'handler_failed',
        exit: 'worker_lost',
        oom: 'isolate_out_of_memory',
        hang: 'timed_out',
      };
      const wrongCause = jobs.rows.filter((j) => expectedCode[j.mode] && j.code !== expectedCode[j.mode]);
      if (wrongCause.length)
        violations.push(`poison failed for another reason: ${JSON.stringify(wrongCause)}`);
      const dead = await deadJobIds(run);
      const notListed = jobs.rows.filter((j) => !dead.has(j.id));
      if (notListed.length) violations.push(`${notListed.length} poison jobs not listed as failed/timeout`);
      if (jobs.rows.length !== each * modes.length)
        violations.push(`${jobs.rows.length} poison jobs registered`);
      return {
        report,
        details: {
          poisonJobs: jobs.rows.length,
          workerCrashes: run.faults.filter((f) => f.kind === 'worker-crash').length,
          exitRuns,
          byMode: Object.fromEntries(
            modes.map((m) => [m, jobs.rows.filter((j) => j.mode === m).map((j) => `${j.state}:${j.code}`)]),
          ),
        },
        violations,
      };
    } finally {
      await run.stop();
    }
  },
};

/** The dead jobs as an operator sees them: GET /v1/jobs?state=failed and ?state=timeout. */
async function deadJobIds(run: ChaosRun): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const state of ['failed', 'timeout']) {
    let cursor: string | undefined;
    do {
      const url = new URL(`${run.stack.apiUrl}/v1/jobs`);
      url.searchParams.set('state', state);
      url.searchParams.set('limit', '500');
      if (cursor) url.searchParams.set('cursor', cursor);
      const res = await fetch(url, { headers: { authorization: `Bearer ${run.stack.adminKey}` } });
      const body = (await res.json()) as { items: { id: string }[]; nextCursor?: string | null };
      for (const j of body.items) ids.add(j.id);
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
  }
  return ids;
}
