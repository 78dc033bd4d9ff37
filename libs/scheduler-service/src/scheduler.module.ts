import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { MessageBus, outboxPublisher } from '@jobplane/messaging';
import { Database, OutboxRelay } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import { DueDispatcher } from './due-dispatcher';
import { EventApplier } from './event-applier';
import { SchedulerConsumer } from './scheduler-consumer';

export interface SchedulerModuleOptions {
  bus: MessageBus;
  db: Database;
  logger: Logger;
  outboxPollMs: number;
  recoveryIntervalMs: number;
}

/** The scheduler's moving parts, started after boot and stopped (in reverse) before shutdown. */
export class Scheduler {
  readonly relay: OutboxRelay;
  readonly consumer: SchedulerConsumer;
  readonly due: DueDispatcher;

  constructor(o: SchedulerModuleOptions) {
    const log = o.logger.child({ context: 'Scheduler' });
    const applier = new EventApplier();
    this.relay = new OutboxRelay(o.db, {
      publish: outboxPublisher(o.bus),
      pollIntervalMs: o.outboxPollMs,
      onError: (err) => log.error({ err }, 'outbox relay failed; retrying'),
    });
    this.due = new DueDispatcher(o.db, this.relay, applier, log, o.recoveryIntervalMs);
    this.consumer = new SchedulerConsumer(o.bus, o.db, this.relay, applier, log, (d) => this.due.at(d));
  }

  async start(): Promise<void> {
    this.relay.start();
    await this.consumer.start();
    this.due.start();
  }

  async stop(): Promise<void> {
    this.due.stop();
    await this.consumer.stop();
    await this.relay.stop();
  }
}

@Injectable()
class SchedulerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(Scheduler) private readonly scheduler: Scheduler) {}
  async onApplicationBootstrap() {
    await this.scheduler.start();
  }
  async beforeApplicationShutdown() {
    await this.scheduler.stop();
  }
}

@Module({})
export class SchedulerModule {
  static forRoot(options: SchedulerModuleOptions): DynamicModule {
    return {
      module: SchedulerModule,
      providers: [{ provide: Scheduler, useValue: new Scheduler(options) }, SchedulerLifecycle],
      exports: [Scheduler],
    };
  }
}
