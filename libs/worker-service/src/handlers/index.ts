import { debugEchoHandler } from './debug-echo.handler';
import { failHandler } from './fail.handler';
import { sleepHandler } from './sleep.handler';

/** Handlers every worker ships with. */
export const BUILT_IN_HANDLERS = [debugEchoHandler, sleepHandler, failHandler];
