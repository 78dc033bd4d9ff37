import { DynamicModule, Module } from '@nestjs/common';
import { Config, tenantQuotas } from '@jobplane/config';
import { MessageBus, outboxPublisher } from '@jobplane/messaging';
import { Database, JobRegistry, OutboxRelay, PoolStore, ScheduleStore } from '@jobplane/persistence';
import { createMetricsRegistry, HealthCheck, Logger, startStopProvider } from '@jobplane/telemetry';
import type { Registry } from 'prom-client';
import { AUTHENTICATOR, OpenAuthenticator } from './auth/authenticator';
import { EventHub } from './events/event-hub';
import { EventsController } from './events/events.controller';
import { BusJobEventFeed, JOB_EVENT_FEED } from './events/job-event-feed';
import { LIVE_LOGGER, LiveSse, SSE_OPTIONS } from './events/live-sse';
import { LiveSocket } from './events/live-socket';
import { registerLiveMetrics } from './events/live-metrics';
import { HealthController, METRICS_REGISTRY, READINESS_CHECKS } from './health.controller';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { DEFAULT_POOL_CAPACITY, PoolsController } from './pools.controller';
import { API_TENANT, SchedulesController } from './schedules.controller';

export interface ApiModuleOptions {
  db: Database;
  bus: MessageBus;
  logger: Logger;
  config: Config;
  /** Service label of the metrics (`api`, or `embedded`). */
  service: string;
  readiness: HealthCheck[];
  /** The registry `/metrics` serves (default: a new one labelled with `service`). */
  metrics?: Registry;
}

@Module({})
export class ApiModule {
  static forRoot(o: ApiModuleOptions): DynamicModule {
    const { db, config } = o;
    const relay = new OutboxRelay(db, {
      publish: outboxPublisher(o.bus),
      pollIntervalMs: config.OUTBOX_POLL_MS,
      onError: (err) => o.logger.error({ err }, 'outbox relay failed; retrying'),
    });
    const pools = new PoolStore(db);
    const hub = new EventHub(o.bus, o.logger.child({ context: 'EventHub' }));
    const metrics = o.metrics ?? createMetricsRegistry(o.service);
    registerLiveMetrics(metrics, hub);
    return {
      module: ApiModule,
      controllers: [JobsController, EventsController, PoolsController, SchedulesController, HealthController],
      providers: [
        { provide: OutboxRelay, useValue: relay },
        startStopProvider(relay),
        {
          provide: JobsService,
          useValue: new JobsService(
            new JobRegistry(db),
            relay,
            pools,
            config.DEFAULT_POOL_CAPACITY,
            tenantQuotas(config.TENANT_MAX_IN_FLIGHT),
          ),
        },
        { provide: PoolStore, useValue: pools },
        { provide: AUTHENTICATOR, useValue: new OpenAuthenticator(config.DEFAULT_TENANT) },
        {
          provide: JOB_EVENT_FEED,
          useFactory: (jobs: JobsService) =>
            new BusJobEventFeed(jobs, hub, { resyncAfterMs: config.LIVE_RESYNC_MS }),
          inject: [JobsService],
        },
        { provide: EventHub, useValue: hub },
        startStopProvider(hub),
        { provide: LIVE_LOGGER, useValue: o.logger.child({ context: 'live' }) },
        { provide: SSE_OPTIONS, useValue: { heartbeatMs: config.SSE_HEARTBEAT_MS } },
        LiveSse,
        LiveSocket,
        { provide: ScheduleStore, useValue: new ScheduleStore(db) },
        { provide: API_TENANT, useValue: config.DEFAULT_TENANT },
        { provide: DEFAULT_POOL_CAPACITY, useValue: config.DEFAULT_POOL_CAPACITY },
        { provide: READINESS_CHECKS, useValue: o.readiness },
        { provide: METRICS_REGISTRY, useValue: metrics },
      ],
    };
  }
}
