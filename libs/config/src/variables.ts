import { z } from 'zod';
import { parsePoolSpecs } from './pool-specs';

/**
 * Every environment variable jobplane reads, with its description. docs/configuration.md is
 * generated from this table (`pnpm docs:config`), and a test keeps it current.
 */
export interface Variable<T extends z.ZodType = z.ZodType> {
  schema: T;
  description: string;
  /** Which processes read it. */
  services: ('api' | 'scheduler' | 'worker' | 'audit' | 'embedded')[];
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const all: Variable['services'] = ['api', 'scheduler', 'worker', 'audit', 'embedded'];

export const VARIABLES = {
  HOST: {
    schema: z.string().min(1).default('0.0.0.0'),
    description: 'Interface the HTTP API listens on (embedded mode defaults to 127.0.0.1).',
    services: ['api', 'embedded'],
  },
  PORT: { schema: port.default(8080), description: 'Port of the HTTP API.', services: ['api', 'embedded'] },
  GRPC_PORT: {
    schema: port.default(50051),
    description:
      'Port of the gRPC API (jobplane.v1.JobService, grpc.health.v1.Health, server reflection), on HOST. 0 disables it.',
    services: ['api', 'embedded'],
  },
  HEALTH_PORT: {
    schema: port.default(8081),
    description:
      'Port of the health and metrics endpoints of scheduler, worker and audit (they have no public API).',
    services: ['scheduler', 'worker', 'audit'],
  },
  DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']),
    description: 'Postgres connection URL of the job registry.',
    services: ['api', 'scheduler', 'audit'],
  },
  DATABASE_SCHEMA: {
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .default('public'),
    description: 'Postgres schema holding jobplane tables (created if missing).',
    services: ['api', 'scheduler', 'audit'],
  },
  DATABASE_POOL_SIZE: {
    schema: z.coerce.number().int().min(1).max(200).default(10),
    description: 'Postgres connections per process.',
    services: ['api', 'scheduler', 'audit'],
  },
  MIGRATE_ON_START: {
    schema: bool.default(true),
    description: 'Apply pending migrations at start. Set false where a migration job (Helm hook) runs them.',
    services: ['api', 'scheduler'],
  },
  SCHEMA_WAIT_SECONDS: {
    schema: z.coerce.number().min(0).max(3600).default(60),
    description:
      "With MIGRATE_ON_START=false: how long to wait at start for the migration job to apply this build's migrations before exiting with an error naming the pending ones.",
    services: ['api', 'scheduler'],
  },
  AMQP_URL: {
    schema: url(['amqp:', 'amqps:']),
    description: 'RabbitMQ connection URL.',
    services: ['api', 'scheduler', 'worker', 'audit'],
  },
  REDIS_URL: {
    schema: url(['redis:', 'rediss:']),
    description: 'Redis URL (scheduler backlog and timers; API rate limits).',
    services: ['api', 'scheduler'],
  },
  REDIS_PREFIX: {
    schema: z
      .string()
      .regex(/^[a-zA-Z0-9:_-]{1,64}$/)
      .default('jobplane'),
    description:
      'Prefix of every Redis key (backlog queues, leader lease); separates installations sharing one Redis.',
    services: ['scheduler'],
  },
  DATA_DIR: {
    schema: z.string().min(1).default('./var'),
    description: 'Directory of the embedded database; jobs survive restarts of embedded mode.',
    services: ['embedded'],
  },
  LOG_LEVEL: {
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    description: 'Minimum level of JSON logs.',
    services: all,
  },
  WORKER_POOLS: {
    schema: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]*:[1-9][0-9]*(,[a-z0-9][a-z0-9-]*:[1-9][0-9]*)*$/,
        'format: pool:concurrency[,pool:concurrency...]',
      )
      .default('default:8'),
    description: 'Pools this worker serves and the concurrency of each, e.g. `metal:1,cloud:10`.',
    services: ['worker', 'embedded'],
  },
  POOLS: {
    schema: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        try {
          parsePoolSpecs(v, 1);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    description:
      'Pools with their capacity and rate limit, seeded at scheduler start (changes made through `PATCH /v1/pools/{pool}` are kept), e.g. `metal:capacity=2,cloud:capacity=5,rate=60/min`.',
    services: ['scheduler', 'embedded'],
  },
  TENANT_WEIGHTS: {
    schema: z
      .string()
      .regex(/^$|^[^:,]+:[1-9][0-9]*(,[^:,]+:[1-9][0-9]*)*$/, 'format: tenant:weight[,tenant:weight...]')
      .default(''),
    description:
      'Fair share between tenants within a pool: dispatches per round-robin turn, e.g. `acme:3,beta:1` (others get 1).',
    services: ['scheduler', 'embedded'],
  },
  POOLS_FILE: {
    schema: z.string().min(1).optional(),
    description:
      'A YAML file of pools (`pools: {metal: {capacity: 2}, cloud: {capacity: 5, rate: 60/min}}`), read at scheduler start; POOLS entries override it.',
    services: ['scheduler', 'embedded'],
  },
  TENANT_MAX_IN_FLIGHT: {
    schema: z
      .string()
      .regex(
        /^$|^[^:,]+:[0-9]+(,[^:,]+:[0-9]+)*$/,
        'format: tenant:N[,tenant:N...], "*" for every other tenant',
      )
      .default(''),
    description:
      'Tenant quotas: at most N jobs of a tenant dispatched and unfinished at once, across pools, e.g. `*:50,acme:200` (none by default). Jobs over it wait with `tenant_quota`.',
    services: ['api', 'scheduler', 'embedded'],
  },
  DEFAULT_POOL_CAPACITY: {
    schema: z.coerce.number().int().min(0).default(100),
    description:
      'Capacity of a pool that POOLS does not name (at most this many of its jobs dispatched and unfinished).',
    services: ['api', 'scheduler', 'embedded'],
  },
  WORKER_ID: {
    schema: z.string().min(1).max(200).optional(),
    description: 'Identity of this worker (defaults to host name and pid).',
    services: ['worker'],
  },
  WORKER_DRAIN_SECONDS: {
    schema: z.coerce.number().min(0).max(3600).default(30),
    description: 'On SIGTERM, how long in-flight jobs may run before they are handed back.',
    services: ['worker', 'embedded'],
  },
  WORKER_EARLY_ACK_MS: {
    schema: z.coerce.number().int().min(1_000).default(1_350_000),
    description:
      "A delivery still running after this long is acknowledged early, before RabbitMQ's consumer_timeout (30 min by default) could close the channel and redeliver it; from then on heartbeats and the scheduler's watchdog guard the job. Keep it below the broker's consumer_timeout.",
    services: ['worker', 'embedded'],
  },
  CANCEL_GRACE_MS: {
    schema: z.coerce.number().int().min(0).default(5000),
    description:
      'How long a cancelled or timed-out handler may take to stop before its attempt is abandoned.',
    services: ['worker', 'scheduler', 'embedded'],
  },
  WORKER_HEARTBEAT_MS: {
    schema: z.coerce.number().int().min(100).max(60_000).default(2_000),
    description: 'How often a worker announces itself and its running attempts.',
    services: ['worker', 'embedded'],
  },
  WORKER_LOST_AFTER_MS: {
    schema: z.coerce.number().int().min(1_000).default(10_000),
    description:
      'A worker silent this long is lost: its running jobs are put back (or failed when out of attempts), and it is listed as offline.',
    services: ['api', 'scheduler', 'embedded'],
  },
  WORKER_PRUNE_AFTER_MS: {
    schema: z.coerce.number().int().min(0).default(900_000),
    description:
      'A worker offline (silent past WORKER_LOST_AFTER_MS) for longer than this is removed from the workers list. The default (15 min) matches the window in which `jobplane_workers_offline` counts it, so an alert can still see it.',
    services: ['scheduler', 'embedded'],
  },
  JOB_HARD_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(0).default(0),
    description:
      'Hard time limit of jobs that set none (`timeouts.hardMs`); 0 = none. Past it (plus CANCEL_GRACE_MS) the scheduler times the job out even if its worker is silent.',
    services: ['scheduler', 'embedded'],
  },
  WATCHDOG_INTERVAL_MS: {
    schema: z.coerce.number().int().min(100).default(1_000),
    description: 'How often the scheduler looks for lost workers and jobs past their hard limit.',
    services: ['scheduler', 'embedded'],
  },
  OUTBOX_POLL_MS: {
    schema: z.coerce.number().int().min(10).max(60_000).default(500),
    description:
      'Fallback poll of the outbox: rows are published as their transaction commits; the poll takes rows older than 10 s (of a crashed process, or given up after the broker refused them for 5 s).',
    services: ['api', 'scheduler', 'embedded'],
  },
  SSE_HEARTBEAT_MS: {
    schema: z.coerce.number().int().min(100).max(300_000).default(15_000),
    description:
      'How often an open SSE stream sends a comment line, so proxies and load balancers keep idle streams open.',
    services: ['api', 'embedded'],
  },
  LIVE_RESYNC_MS: {
    schema: z.coerce.number().int().min(50).max(600_000).default(10_000),
    description:
      'A live job stream that heard no event notification for this long re-reads the registry (covers lost notifications).',
    services: ['api', 'embedded'],
  },
  RECOVERY_INTERVAL_MS: {
    schema: z.coerce.number().int().min(100).default(10_000),
    description:
      'How often the scheduler re-dispatches queued jobs whose dispatch never happened (lost message, due delay).',
    services: ['scheduler', 'embedded'],
  },
  JOB_RETENTION_SECONDS: {
    schema: z.coerce.number().int().min(0).default(604_800),
    description: 'Terminal jobs, their events and results are purged after this long; 0 disables.',
    services: ['scheduler', 'embedded'],
  },
  AUDIT_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(0).default(400),
    description:
      'Audit records older than this are purged, leaving a checkpoint so the rest of the chain still verifies; 0 keeps them forever.',
    services: ['audit', 'embedded'],
  },
  AUDIT_DB_SCHEMA: {
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .optional(),
    description:
      'Postgres schema of the audit trail, owned and migrated by the audit service (the api only reads it). Unset: `<DATABASE_SCHEMA>_audit`, or `jobplane_audit` when DATABASE_SCHEMA is `public`.',
    services: ['api', 'audit'],
  },
  AUDIT_VERIFY_INTERVAL_SECONDS: {
    schema: z.coerce.number().int().min(0).default(3600),
    description:
      "How often the audit service re-verifies every tenant's hash chain (jobplane_audit_chain_intact); 0 turns it off.",
    services: ['audit', 'embedded'],
  },
  RESULT_INLINE_MAX_BYTES: {
    schema: z.coerce.number().int().min(0).default(65_536),
    description:
      "Results larger than this (as JSON, in bytes) are kept in the result store (`job_results`) instead of on the job; the job then carries `resultRef` and `GET /v1/jobs/{id}/result` returns the result. The audit trail records such results by SHA-256 and size. Results travel in `job.succeeded` messages, so RabbitMQ's `max_message_size` (128 MiB by default) bounds them.",
    services: ['scheduler', 'audit', 'embedded'],
  },
  HANDLER_DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']).optional(),
    description:
      'Postgres database the `crud` handler works in (its own `jobplane_crud_items` table, created on first use). Unset: `crud` jobs fail with `crud_disabled`. Embedded mode uses its own database.',
    services: ['worker'],
  },
  HTTP_REQUEST_ALLOW_HOSTS: {
    schema: z
      .string()
      .regex(/^[^\s]*$/, 'comma-separated host names, IP addresses or CIDRs, without spaces')
      .default(''),
    description:
      'Hosts the `http.request` handler may reach although they resolve to loopback, private, link-local or other non-public addresses: host names (`api.internal`, `*.svc.cluster.local`), IP addresses or CIDRs (`10.0.0.0/8`), comma-separated. Public addresses need no entry.',
    services: ['worker', 'embedded'],
  },
  PROCESS_EXEC_ALLOW: {
    schema: z
      .string()
      .regex(/^[^\s]*$/, 'comma-separated absolute paths or command names, without spaces')
      .default(''),
    description:
      'Programs the `process.exec` handler may run (absolute paths, or names looked up in PATH), comma-separated. Empty (the default): `process.exec` jobs fail with `process_exec_disabled`.',
    services: ['worker', 'embedded'],
  },
  DEFAULT_TENANT: {
    schema: z.string().min(1).max(100).default('default'),
    description:
      'Tenant of the bootstrap admin key, of the embedded development key and of every caller when AUTH_MODE=open.',
    services: ['api', 'embedded'],
  },
  AUTH_MODE: {
    schema: z.enum(['keys', 'open']).default('keys'),
    description:
      'How the API authenticates: `keys` (API keys; the default) or `open` (no authentication, every caller is DEFAULT_TENANT with every scope; for local experiments only).',
    services: ['api', 'embedded'],
  },
  BOOTSTRAP_ADMIN_KEY: {
    schema: z
      .string()
      .regex(/^jp_[a-z0-9]{8,32}_[A-Za-z0-9_-]{32,128}$/, 'format: jp_<prefix>_<secret>')
      .optional(),
    description:
      'An admin API key (tenant DEFAULT_TENANT) installed at start, e.g. `jp_$(openssl rand -hex 8)_$(openssl rand -base64 32 | tr "+/" "-_" | tr -d =)`. Only its hash is stored. Embedded mode without it creates a development key and prints it.',
    services: ['api', 'embedded'],
  },
  TENANT_RATE_LIMIT: {
    schema: z
      .string()
      .regex(
        /^$|^[^:,]+:[0-9]+(,[^:,]+:[0-9]+)*$/,
        'format: tenant:N[,tenant:N...], "*" for every other tenant',
      )
      .default('*:100'),
    description:
      'Requests per second per tenant, shared by every API replica through Redis (in memory in embedded mode), e.g. `*:100,acme:500`; empty = no limit. Over it: 429 with Retry-After.',
    services: ['api', 'embedded'],
  },
  RATE_LIMIT_BURST_SECONDS: {
    schema: z.coerce.number().min(1).max(3600).default(2),
    description: 'Burst of the tenant rate limit: a tenant may send this many seconds of its rate at once.',
    services: ['api', 'embedded'],
  },
  TENANT_MAX_QUEUED: {
    schema: z
      .string()
      .regex(
        /^$|^[^:,]+:[0-9]+(,[^:,]+:[0-9]+)*$/,
        'format: tenant:N[,tenant:N...], "*" for every other tenant',
      )
      .default(''),
    description:
      'Cap on queued (not yet running) jobs per tenant, e.g. `*:100000`; none by default. A submit over it is refused whole with 429 `rate_limited`.',
    services: ['api', 'embedded'],
  },
  HTTP_REQUEST_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    description:
      'Time to receive a whole HTTP request; slower clients get 408 (long-lived streams are not affected once their headers are in).',
    services: ['api', 'embedded'],
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(0).default(10_000),
    description: 'Upper bound on a graceful shutdown of api, scheduler and audit.',
    services: ['api', 'scheduler', 'audit', 'embedded'],
  },
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;
