import { DynamicModule, Module } from '@nestjs/common';
import { Config, parsePools } from '@jobplane/config';
import type { MessageBus } from '@jobplane/messaging';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { AnyHandlerDefinition, HandlerRegistry } from './handler';
import { BUILT_IN_HANDLERS } from './handlers';
import { WorkerOptions, WorkerRuntime } from './worker-runtime';

export interface WorkerModuleOptions extends WorkerOptions {
  bus: MessageBus;
  logger: Logger;
  /** Handlers beyond the built-ins. */
  handlers?: AnyHandlerDefinition[];
}

/** The tunables of WorkerOptions, read from validated configuration. */
export function workerSettingsFrom(config: Config): WorkerOptions {
  return {
    pools: parsePools(config.WORKER_POOLS),
    drainMs: config.WORKER_DRAIN_SECONDS * 1000,
    cancelGraceMs: config.CANCEL_GRACE_MS,
    heartbeatMs: config.WORKER_HEARTBEAT_MS,
    earlyAckMs: config.WORKER_EARLY_ACK_MS,
    ...(config.WORKER_ID ? { workerId: config.WORKER_ID } : {}),
  };
}

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerModuleOptions): DynamicModule {
    const registry = new HandlerRegistry().register(...BUILT_IN_HANDLERS, ...(options.handlers ?? []));
    const runtime = new WorkerRuntime(
      options.bus,
      registry,
      options.logger.child({ context: 'WorkerRuntime' }),
      options,
    );
    return {
      module: WorkerModule,
      providers: [{ provide: WorkerRuntime, useValue: runtime }, startStopProvider(runtime)],
      exports: [WorkerRuntime],
    };
  }
}
