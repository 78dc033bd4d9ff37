import { DynamicModule, Module } from '@nestjs/common';
import { JobRegistry, OutboxRelay, PoolStore, ScheduleStore } from '@jobplane/persistence';
import type { HealthCheck } from '@jobplane/telemetry';
import type { Registry } from 'prom-client';
import { HealthController, METRICS_REGISTRY, READINESS_CHECKS } from './health.controller';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { DEFAULT_POOL_CAPACITY, PoolsController } from './pools.controller';
import { API_TENANT, SchedulesController } from './schedules.controller';

export interface ApiModuleOptions {
  registry: JobRegistry;
  relay: OutboxRelay;
  tenant: string;
  pools: PoolStore;
  schedules: ScheduleStore;
  defaultPoolCapacity: number;
  readiness: HealthCheck[];
  metrics: Registry;
}

@Module({})
export class ApiModule {
  static forRoot(o: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [JobsController, PoolsController, SchedulesController, HealthController],
      providers: [
        { provide: JobsService, useValue: new JobsService(o.registry, o.relay, o.tenant, o.pools, o.defaultPoolCapacity) },
        { provide: PoolStore, useValue: o.pools },
        { provide: ScheduleStore, useValue: o.schedules },
        { provide: API_TENANT, useValue: o.tenant },
        { provide: DEFAULT_POOL_CAPACITY, useValue: o.defaultPoolCapacity },
        { provide: READINESS_CHECKS, useValue: o.readiness },
        { provide: METRICS_REGISTRY, useValue: o.metrics },
      ],
    };
  }
}
