import type { Config } from '@jobplane/config';
import type { HandlerDefinition } from '../handler';
import { crudHandler, SqlQuery } from './crud.handler';
import { debugEchoHandler } from './debug-echo.handler';
import { debugFlakyHandler } from './debug-flaky.handler';
import { debugHangHandler } from './debug-hang.handler';
import { failHandler } from './fail.handler';
import { httpRequestHandler } from './http-request.handler';
import { processExecHandler } from './process-exec.handler';
import { simulationMockHandler } from './simulation-mock.handler';
import { sleepHandler } from './sleep.handler';

export { crudHandler, CRUD_TABLE, type SqlQuery } from './crud.handler';
export { httpRequestHandler, type HttpRequestOptions } from './http-request.handler';
export { processExecHandler, type ProcessExecOptions } from './process-exec.handler';
export { simulationMockHandler, mulberry32 } from './simulation-mock.handler';

/** Handlers every worker ships with that need no configuration. */
export const BUILT_IN_HANDLERS = [
  debugEchoHandler,
  debugFlakyHandler,
  debugHangHandler,
  sleepHandler,
  failHandler,
  simulationMockHandler,
];

/** What the configurable built-ins need; each refuses its jobs, naming the variable, when unset. */
export interface BuiltInHandlerDeps {
  /** HANDLER_DATABASE_URL's connection (crud). */
  query?: SqlQuery;
  /** HTTP_REQUEST_ALLOW_HOSTS. */
  httpAllowHosts?: readonly string[];
  /** PROCESS_EXEC_ALLOW. */
  processExecAllow?: readonly string[];
}

/**
 * The built-ins that depend on configuration (crud, http.request, process.exec). The apps pass them
 * to WorkerModule as `handlers`; they are registered even when unconfigured so a job says what is
 * missing instead of "unknown job type".
 */
export function configuredHandlers(deps: BuiltInHandlerDeps = {}): HandlerDefinition<never>[] {
  return [
    crudHandler(deps.query),
    httpRequestHandler({ allowHosts: deps.httpAllowHosts ?? [] }),
    processExecHandler({ allow: deps.processExecAllow ?? [] }),
  ] as unknown as HandlerDefinition<never>[]; // WorkerModuleOptions.handlers' element type
}

/** configuredHandlers from validated configuration; `query` is the handler database, if any. */
export function configuredHandlersFrom(config: Config, query?: SqlQuery): HandlerDefinition<never>[] {
  return configuredHandlers({
    ...(query ? { query } : {}),
    httpAllowHosts: listOf(config.HTTP_REQUEST_ALLOW_HOSTS),
    processExecAllow: listOf(config.PROCESS_EXEC_ALLOW),
  });
}

/** Comma-separated config list to entries (blank entries dropped). */
const listOf = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
