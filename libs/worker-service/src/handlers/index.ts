import { debugEchoHandler } from './debug-echo.handler';
import { debugFlakyHandler } from './debug-flaky.handler';
import { debugHangHandler } from './debug-hang.handler';
import { failHandler } from './fail.handler';
import { sleepHandler } from './sleep.handler';

/** Handlers every worker ships with. */
export const BUILT_IN_HANDLERS = [
  debugEchoHandler,
  debugFlakyHandler,
  debugHangHandler,
  sleepHandler,
  failHandler,
];
