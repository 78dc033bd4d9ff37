import { auditDown } from './audit-down';
import { baseline } from './baseline';
import { dependencyRestarts } from './dependency-restarts';
import type { Scenario } from './common';
import { consumerTimeout } from './consumer-timeout';
import { drain } from './drain';
import { killAll } from './kill-all';
import { killApi } from './kill-api';
import { killScheduler } from './kill-scheduler';
import { killWorker } from './kill-worker';
import { pause } from './pause';
import { poison } from './poison';
import { rateLimitStorm } from './rate-limit-storm';

/** In priority order; `fast` ones make the CI subset. */
export const SCENARIOS: Scenario[] = [
  baseline,
  killWorker,
  drain,
  killAll,
  pause,
  poison,
  killScheduler,
  auditDown,
  rateLimitStorm,
  killApi,
  dependencyRestarts,
  consumerTimeout,
];
