// Writes the Grafana dashboards of the chart (charts/jobplane/dashboards/*.json) from the compact
// panel lists below: one place to read what each dashboard shows. Run after editing:
//   node scripts/gen-dashboards.mjs
// The Overview keeps its hand-made process panels (they follow the generated ones).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '..', 'charts', 'jobplane', 'dashboards');
const SEL = 'namespace="$namespace", job="$job"';
const RI = '$__rate_interval';
const DS = { type: 'prometheus', uid: '${datasource}' };

/** A time series (or stat) panel: [title, unit, [expr, legend][]], laid out two per row. */
function panels(specs, firstId = 1, firstY = 0) {
  return specs.map(([title, unit, targets, type = 'timeseries'], i) => ({
    id: firstId + i,
    type,
    title,
    datasource: DS,
    gridPos: { x: (i % 2) * 12, y: firstY + Math.floor(i / 2) * 8, w: 12, h: 8 },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options:
      type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' }
        : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: targets.map(([expr, legendFormat], j) => ({
      refId: String.fromCharCode(65 + j),
      expr,
      legendFormat,
      ...(type === 'stat' ? { instant: true } : {}),
      datasource: DS,
    })),
  }));
}

const q = (p) => `histogram_quantile(${p}`;
const overviewJobs = [
  [
    'Jobs submitted / s',
    'ops',
    [[`sum by (type) (rate(jobplane_jobs_submitted_total{${SEL}}[${RI}]))`, '{{type}}']],
  ],
  [
    'Jobs finished / s by outcome',
    'ops',
    [[`sum by (outcome) (rate(jobplane_jobs_finished_total{${SEL}}[${RI}]))`, '{{outcome}}']],
  ],
  [
    'Failure ratio',
    'percentunit',
    [
      [
        `sum(rate(jobplane_jobs_finished_total{${SEL}, outcome!="succeeded"}[${RI}])) / sum(rate(jobplane_jobs_finished_total{${SEL}}[${RI}]))`,
        'not succeeded',
      ],
    ],
  ],
  [
    'Retries / s',
    'ops',
    [[`sum by (pool, reason) (rate(jobplane_job_retries_total{${SEL}}[${RI}]))`, '{{pool}} {{reason}}']],
  ],
  [
    'Queue wait p50 / p95',
    's',
    [
      [`${q(0.5)}, sum by (le) (rate(jobplane_job_queue_wait_seconds_bucket{${SEL}}[${RI}])))`, 'p50'],
      [`${q(0.95)}, sum by (le) (rate(jobplane_job_queue_wait_seconds_bucket{${SEL}}[${RI}])))`, 'p95'],
    ],
  ],
  [
    'Run time p50 / p95 by type',
    's',
    [
      [
        `${q(0.5)}, sum by (type, le) (rate(jobplane_job_run_seconds_bucket{${SEL}}[${RI}])))`,
        'p50 {{type}}',
      ],
      [
        `${q(0.95)}, sum by (type, le) (rate(jobplane_job_run_seconds_bucket{${SEL}}[${RI}])))`,
        'p95 {{type}}',
      ],
    ],
  ],
  [
    'API 5xx ratio',
    'percentunit',
    [
      [
        `sum(rate(jobplane_http_requests_total{${SEL}, status=~"5.."}[${RI}])) / sum(rate(jobplane_http_requests_total{${SEL}}[${RI}]))`,
        '5xx',
      ],
    ],
  ],
  [
    'Outbox pending / consumer lag p95',
    'short',
    [
      [`max by (service) (jobplane_outbox_pending{${SEL}})`, 'outbox {{service}}'],
      [
        `${q(0.95)}, sum by (le) (rate(jobplane_consumer_message_age_seconds_bucket{${SEL}}[${RI}])))`,
        'consumer lag p95 (s)',
      ],
    ],
  ],
];

const pools = [
  ['Backlog depth', 'short', [[`max by (pool) (jobplane_backlog_depth{${SEL}})`, '{{pool}}']]],
  [
    'Oldest queued job age',
    's',
    [[`max by (pool) (jobplane_backlog_oldest_age_seconds{${SEL}})`, '{{pool}}']],
  ],
  [
    'Backlog by priority',
    'short',
    [[`max by (pool, priority) (jobplane_backlog_priority_depth{${SEL}})`, '{{pool}} p{{priority}}']],
  ],
  [
    'In flight vs capacity',
    'short',
    [
      [`max by (pool) (jobplane_pool_in_flight{${SEL}})`, 'in flight {{pool}}'],
      [`max by (pool) (jobplane_pool_capacity{${SEL}})`, 'capacity {{pool}}'],
    ],
  ],
  [
    'Queue wait p95 by pool',
    's',
    [
      [
        `${q(0.95)}, sum by (pool, le) (rate(jobplane_job_queue_wait_seconds_bucket{${SEL}}[${RI}])))`,
        '{{pool}}',
      ],
    ],
  ],
  [
    'Rate-limit pauses / min',
    'short',
    [[`sum by (pool) (increase(jobplane_rate_limit_pauses_total{${SEL}}[1m]))`, '{{pool}}']],
  ],
  [
    'Finished / s by pool and outcome',
    'ops',
    [[`sum by (pool, outcome) (rate(jobplane_jobs_finished_total{${SEL}}[${RI}]))`, '{{pool}} {{outcome}}']],
  ],
  ['Dispatches / s', 'ops', [[`sum(rate(jobplane_dispatches_total{${SEL}}[${RI}]))`, 'dispatched']]],
];

const workers = [
  [
    'Live workers',
    'short',
    [
      [`max(jobplane_workers_live{${SEL}})`, 'live'],
      [`max(jobplane_workers_draining{${SEL}})`, 'draining'],
      [`max(jobplane_workers_offline{${SEL}})`, 'offline'],
    ],
  ],
  [
    'Busy vs total slots',
    'short',
    [
      [`max(jobplane_workers_busy_slots{${SEL}})`, 'busy'],
      [`max(jobplane_workers_slots{${SEL}})`, 'slots'],
    ],
  ],
  ['Stalest heartbeat', 's', [[`max(jobplane_workers_heartbeat_max_age_seconds{${SEL}})`, 'age']]],
  ['Busy slots per worker pod', 'short', [[`sum by (pod) (jobplane_worker_busy_slots{${SEL}})`, '{{pod}}']]],
  [
    'Attempts / s by outcome',
    'ops',
    [[`sum by (outcome) (rate(jobplane_worker_attempts_total{${SEL}}[${RI}]))`, '{{outcome}}']],
  ],
  [
    'Watchdog recoveries and timeouts / min',
    'short',
    [
      [`sum(increase(jobplane_watchdog_recovered_total{${SEL}}[1m]))`, 'recovered'],
      [`sum(increase(jobplane_watchdog_timeouts_total{${SEL}}[1m]))`, 'timed out'],
    ],
  ],
];

const api = [
  [
    'Requests / s by route',
    'reqps',
    [[`sum by (method, route) (rate(jobplane_http_requests_total{${SEL}}[${RI}]))`, '{{method}} {{route}}']],
  ],
  [
    'Responses / s by status',
    'reqps',
    [[`sum by (status) (rate(jobplane_http_requests_total{${SEL}}[${RI}]))`, '{{status}}']],
  ],
  [
    'Latency p95 by route',
    's',
    [
      [
        `${q(0.95)}, sum by (route, le) (rate(jobplane_http_request_duration_seconds_bucket{${SEL}}[${RI}])))`,
        '{{route}}',
      ],
    ],
  ],
  [
    'Error ratio (5xx)',
    'percentunit',
    [
      [
        `sum(rate(jobplane_http_requests_total{${SEL}, status=~"5.."}[${RI}])) / sum(rate(jobplane_http_requests_total{${SEL}}[${RI}]))`,
        '5xx',
      ],
    ],
  ],
  ['Live subscribers', 'short', [[`sum by (pod) (jobplane_live_subscribers{${SEL}})`, '{{pod}}']]],
  [
    'Audit ingest lag p95',
    's',
    [[`${q(0.95)}, sum by (le) (rate(jobplane_audit_ingest_lag_seconds_bucket{${SEL}}[${RI}])))`, 'p95']],
  ],
];

const overview = JSON.parse(readFileSync(join(DIR, 'overview.json'), 'utf8'));
// Generated panels have ids from 100; the hand-made process panels (ids below) move down past them.
const already = overview.panels.some((p) => p.id >= 100);
const jobPanels = panels(overviewJobs, 100, 0);
const shift = Math.ceil(overviewJobs.length / 2) * 8;
const processPanels = overview.panels
  .filter((p) => p.id < 100)
  .map((p) => ({ ...p, gridPos: { ...p.gridPos, y: p.gridPos.y - (already ? shift : 0) } }));
overview.description =
  'One jobplane release: throughput, outcomes, latency and errors, then its processes (targets up, CPU, memory, event loop, restarts).';
overview.panels = [
  ...jobPanels,
  ...processPanels.map((p) => ({ ...p, gridPos: { ...p.gridPos, y: p.gridPos.y + shift } })),
];
writeFileSync(join(DIR, 'overview.json'), JSON.stringify(overview, null, 2) + '\n');

for (const [uid, title, description, list] of [
  [
    'pools',
    'Pools',
    'Backlog (depth, age, priority), in flight vs capacity, queue wait and rate-limit pauses per pool.',
    pools,
  ],
  ['workers', 'Workers', 'Live workers, busy slots, heartbeats and attempts.', workers],
  [
    'api',
    'API',
    'Request rate, errors and latency per route template; live subscribers; audit ingest lag.',
    api,
  ],
]) {
  const d = {
    ...overview,
    uid: `jobplane-${uid}`,
    title: `jobplane / ${title}`,
    description,
    panels: panels(list),
  };
  writeFileSync(join(DIR, `${uid}.json`), JSON.stringify(d, null, 2) + '\n');
}
