import { parseArgs } from 'node:util';
import { seeded } from './scenarios/common';
import { SCENARIOS } from './scenarios';

/**
 * `pnpm chaos [scenario|all|fast] [--scale 0.1] [--seed 42]`: runs scenarios against the
 * distributed stack as processes, prints one JSON report line each, exits 1 if any expectation
 * failed. `fast` is the CI subset at CI size; named scenarios and `all` run at the size.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
    fast: { type: 'boolean', default: false },
  },
});

const secondsSince = (t0: number) => Math.round((Date.now() - t0) / 1000);

async function main(): Promise<number> {
  const which = positionals[0] ?? 'fast';
  const fast = which === 'fast' || values.fast;
  const chosen =
    which === 'all'
      ? SCENARIOS
      : which === 'fast'
        ? SCENARIOS.filter((s) => s.fast)
        : which.split(',').map((name) => {
            const s = SCENARIOS.find((x) => x.name === name);
            if (!s)
              throw new Error(
                `unknown scenario ${name} (${SCENARIOS.map((x) => x.name).join(', ')}, all, fast)`,
              );
            return s;
          });
  let failed = 0;
  for (const s of chosen) {
    const t0 = Date.now();
    let result;
    try {
      result = await s.run({ fast, scale: Number(values.scale), rng: seeded(Number(values.seed)) });
    } catch (err) {
      // One scenario that cannot run (a server that would not start) must not hide the others' reports.
      const error = err instanceof Error ? err.message : String(err);
      console.log(JSON.stringify({ scenario: s.name, pass: false, error, seconds: secondsSince(t0) }));
      failed++;
      continue;
    }
    const { report, details, violations } = result;
    const { illegalTransitions, lost, stuck, unexpected, ...rest } = report;
    console.log(
      JSON.stringify({
        scenario: s.name,
        pass: violations.length === 0,
        violations,
        ...rest,
        lost: lost.length,
        stuck: stuck.length,
        illegalTransitions: illegalTransitions.length,
        unexpected: unexpected.length,
        details,
        seconds: secondsSince(t0),
      }),
    );
    if (violations.length) failed++;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
