import { DynamicModule, Module } from '@nestjs/common';
import { AuditTrail, auditTables } from '@jobplane/audit-service';
import { APP_GUARD } from '@nestjs/core';
import { auditSchemaOf, Config, tenantQuotas } from '@jobplane/config';
import { SCOPES } from '@jobplane/contracts';
import { MessageBus, outboxPublisher } from '@jobplane/messaging';
import {
  ApiKeyStore,
  Database,
  HandlerTypeStore,
  JobRegistry,
  outboxBacklog,
  OutboxRelay,
  PoolStore,
  ResultStore,
  ScheduleStore,
  WorkerStore,
} from '@jobplane/persistence';
import {
  createMetricsRegistry,
  HealthCheck,
  Logger,
  registerOutboxMetrics,
  startStopProvider,
} from '@jobplane/telemetry';
import { registerSubmitMetrics } from './api-metrics';
import type { Registry } from 'prom-client';
import { AuditController } from './audit.controller';
import { ApiKeyAuthenticator } from './auth/api-key-authenticator';
import { ApiKeysController } from './auth/api-keys.controller';
import { AuthGuard } from './auth/auth.guard';
import { AUTHENTICATOR, OpenAuthenticator } from './auth/authenticator';
import { EventHub } from './events/event-hub';
import { EventsController } from './events/events.controller';
import { BusJobEventFeed, JOB_EVENT_FEED } from './events/job-event-feed';
import { LIVE_LOGGER, LiveSse, SSE_OPTIONS } from './events/live-sse';
import { LiveSocket } from './events/live-socket';
import { registerLiveMetrics } from './events/live-metrics';
import { grpcProviders } from './grpc/grpc.providers';
import { HealthController, METRICS_REGISTRY, READINESS_CHECKS } from './health.controller';
import { IdempotencyPurger } from './idempotency-purger';
import { JobsBatchController, JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { MemoryRateLimiter, RATE_LIMITER, RateLimiter, RateLimitSettings } from './limits/rate-limiter';
import { DEFAULT_POOL_CAPACITY, PoolsController } from './pools.controller';
import { ResultsController } from './results.controller';
import { SchedulesController } from './schedules.controller';
import { HandlersController } from './handlers.controller';
import { WORKER_LOST_AFTER_MS, WorkersController } from './workers.controller';

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
  /** Tenant rate limiter (default: in this process's memory; distributed mode passes the Redis one). */
  rateLimiter?: RateLimiter;
  /** An admin key to install when BOOTSTRAP_ADMIN_KEY is not set (embedded mode's development key). */
  bootstrapKey?: string;
}

/** The tenant rate limit settings from config (TENANT_RATE_LIMIT, RATE_LIMIT_BURST_SECONDS). */
export function rateLimitSettings(config: Config): RateLimitSettings {
  return { rateOf: tenantQuotas(config.TENANT_RATE_LIMIT), burstSeconds: config.RATE_LIMIT_BURST_SECONDS };
}

@Module({})
export class ApiModule {
  static forRoot(o: ApiModuleOptions): DynamicModule {
    const { db, config, logger } = o;
    const relay = new OutboxRelay(db, {
      publish: outboxPublisher(o.bus),
      pollIntervalMs: config.OUTBOX_POLL_MS,
      onError: (err) => logger.error({ err }, 'outbox relay failed; retrying'),
    });
    const pools = new PoolStore(db);
    const keys = new ApiKeyStore(db);
    const bootstrapKey = config.BOOTSTRAP_ADMIN_KEY ?? o.bootstrapKey;
    const authLog = logger.child({ context: 'auth' });
    const hub = new EventHub(o.bus, o.logger.child({ context: 'EventHub' }));
    const metrics = o.metrics ?? createMetricsRegistry(o.service);
    registerLiveMetrics(metrics, hub);
    registerOutboxMetrics(metrics, () => outboxBacklog(db));
    const jobsService = new JobsService(
      new JobRegistry(db),
      relay,
      pools,
      config.DEFAULT_POOL_CAPACITY,
      tenantQuotas(config.TENANT_MAX_IN_FLIGHT),
      tenantQuotas(config.TENANT_MAX_QUEUED),
    );
    jobsService.onCreated = registerSubmitMetrics(metrics);
    return {
      module: ApiModule,
      controllers: [
        JobsBatchController,
        JobsController,
        EventsController,
        ResultsController,
        PoolsController,
        SchedulesController,
        ApiKeysController,
        AuditController,
        HealthController,
        WorkersController,
        HandlersController,
      ],
      providers: [
        { provide: OutboxRelay, useValue: relay },
        startStopProvider(relay),
        startStopProvider(new IdempotencyPurger(db, logger)),
        startStopProvider({
          start: async () => {
            if (!bootstrapKey) return;
            const k = await keys.upsert(bootstrapKey, {
              tenant: config.DEFAULT_TENANT,
              name: 'bootstrap admin',
              scopes: [...SCOPES],
            });
            authLog.info({ prefix: k.prefix, tenant: k.tenant }, 'bootstrap admin key installed');
          },
          stop: () => undefined,
        }),
        {
          provide: JobsService,
          useValue: jobsService,
        },
        { provide: PoolStore, useValue: pools },
        // Read-only here: the audit service owns and migrates its schema.
        { provide: AuditTrail, useValue: new AuditTrail(db, auditTables(auditSchemaOf(config))) },
        { provide: ApiKeyStore, useValue: keys },
        {
          provide: AUTHENTICATOR,
          useValue:
            config.AUTH_MODE === 'open'
              ? new OpenAuthenticator(config.DEFAULT_TENANT)
              : new ApiKeyAuthenticator(keys, (reason, prefix) =>
                  authLog.info({ reason, prefix }, 'API key refused'),
                ),
        },
        {
          provide: RATE_LIMITER,
          useValue: o.rateLimiter ?? new MemoryRateLimiter(rateLimitSettings(config)),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
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
        { provide: ResultStore, useValue: new ResultStore(db) },
        { provide: DEFAULT_POOL_CAPACITY, useValue: config.DEFAULT_POOL_CAPACITY },
        { provide: WorkerStore, useValue: new WorkerStore(db) },
        { provide: HandlerTypeStore, useValue: new HandlerTypeStore(db) },
        { provide: WORKER_LOST_AFTER_MS, useValue: config.WORKER_LOST_AFTER_MS },
        { provide: READINESS_CHECKS, useValue: o.readiness },
        { provide: METRICS_REGISTRY, useValue: metrics },
        ...grpcProviders(config, o.logger),
      ],
      exports: [AUTHENTICATOR, JobsService, ApiKeyStore, JOB_EVENT_FEED],
    };
  }
}
