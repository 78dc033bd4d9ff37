/**
 * The jobplane handler SDK: declare handlers, run them in a worker of your own. A facade over
 * @jobplane/worker-service, which holds the runtime. Importing it is cheap (isolates import it with
 * every handler module); the runtime loads when `startWorker` runs.
 */
export { defineHandler, type HandlerSpec } from './define-handler';
export { startWorker, type RunningWorker, type StartWorkerOptions } from './start-worker';
export {
  NonRetryableError,
  RateLimitedError,
  RetryableError,
  validatePayload,
  type AnyHandlerDefinition,
  type ExecutionMode,
  type HandlerDefinition,
  type JobContext,
  type JobLog,
} from '@jobplane/worker-service/handler';
export type { Progress } from '@jobplane/contracts';
