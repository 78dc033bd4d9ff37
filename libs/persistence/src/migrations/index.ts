import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { AuditLog1763800001000 } from './1763800001000-audit-log';
import { Pools1763800002000 } from './1763800002000-pools';
import { Workers1763800003000 } from './1763800003000-workers';
import { Schedules1763800004000 } from './1763800004000-schedules';
import { ConcurrencyKeys1763800005000 } from './1763800005000-concurrency-keys';
import { ApiKeys1763800006000 } from './1763800006000-api-keys';
import { IdempotencyKeys1763800007000 } from './1763800007000-idempotency-keys';
import { JobResults1763800008000 } from './1763800008000-job-results';
import { AuditCheckpoints1763800009000 } from './1763800009000-audit-checkpoints';
import { TraceContext1763800010000 } from './1763800010000-trace-context';
import { HandlerRegistry1763800011000 } from './1763800011000-handler-registry';
import { AuditLeavesRegistry1763800012000 } from './1763800012000-audit-leaves-registry';

/** Every migration in order. New ones are appended; applied ones are never edited. */
export const MIGRATIONS = [
  InitialSchema1763800000000,
  AuditLog1763800001000,
  Pools1763800002000,
  Workers1763800003000,
  Schedules1763800004000,
  ConcurrencyKeys1763800005000,
  ApiKeys1763800006000,
  IdempotencyKeys1763800007000,
  JobResults1763800008000,
  AuditCheckpoints1763800009000,
  TraceContext1763800010000,
  HandlerRegistry1763800011000,
  AuditLeavesRegistry1763800012000,
];
