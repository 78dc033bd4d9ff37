// The dashboards, alerts and KEDA triggers of the chart query only metric families the services
// export: the list is docs/metrics.md, which e2e/src/metrics.stack.spec.ts checks against a live
// scrape of every service.
import { documentedFamilies, familyOf, metricNames, PROCESS_METRIC } from './promql';
import { render } from './support';

const families = documentedFamilies();

/** Every PromQL expression of a render, with where it comes from. */
function expressions(objs: ReturnType<typeof render>): [string, string][] {
  const out: [string, string][] = [];
  for (const o of objs as any[]) {
    if (o.kind === 'PrometheusRule')
      for (const r of o.spec.groups.flatMap((g: any) => g.rules)) out.push([`alert ${r.alert}`, r.expr]);
    if (o.kind === 'ScaledObject')
      for (const t of o.spec.triggers)
        if (t.type === 'prometheus') out.push([`keda ${o.metadata.name}`, t.metadata.query]);
    if (o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')
      for (const [file, json] of Object.entries<string>(o.data ?? {}))
        for (const p of JSON.parse(json).panels)
          for (const t of p.targets ?? []) out.push([`${file} "${p.title}"`, t.expr]);
  }
  return out;
}

describe('PromQL of dashboards, alerts and KEDA triggers', () => {
  const exprs = expressions(render(['charts/jobplane/examples/production.yaml']));

  it('documents a reasonable list of families', () => {
    expect(families.size).toBeGreaterThan(30);
    expect(families.get('jobplane_job_queue_wait_seconds')).toBe('histogram');
  });

  it('finds the expressions of all four dashboards, the alerts and the triggers', () => {
    const sources = new Set(exprs.map(([where]) => where.split(' ')[0]));
    for (const s of ['alert', 'keda', 'overview.json', 'pools.json', 'workers.json', 'api.json'])
      expect([s, sources.has(s)]).toEqual([s, true]);
  });

  it('names only exported families (up and process metrics aside)', () => {
    const unknown = exprs.flatMap(([where, expr]) =>
      metricNames(expr)
        .filter((n) => n !== 'up' && !PROCESS_METRIC.test(n) && !familyOf(n, families))
        .map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it('uses _bucket only of histograms and never rate() of a gauge', () => {
    const bad = exprs.flatMap(([where, expr]) =>
      [...expr.matchAll(/\b(?:rate|increase)\((jobplane_[a-z0-9_]+)/g)]
        .map((m) => m[1]!)
        .filter((n) => {
          const f = familyOf(n, families);
          return f !== undefined && (families.get(f) === 'gauge' || (f !== n && !n.endsWith('_bucket')));
        })
        .map((n) => `${where}: ${n}`),
    );
    expect(bad).toEqual([]);
  });

  it('the name extraction sees selectors, bare names and ignores label values', () => {
    expect(
      metricNames('sum(rate(a_b{x="jobplane_fake"}[5m])) / jobplane_c > 1 and up{job="j"}').sort(),
    ).toEqual(['a_b', 'jobplane_c', 'up']);
    expect(familyOf('jobplane_job_run_seconds_bucket', families)).toBe('jobplane_job_run_seconds');
    expect(familyOf('jobplane_workers_live_count', families)).toBeUndefined();
  });
});
