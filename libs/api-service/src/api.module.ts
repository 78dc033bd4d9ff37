import { DynamicModule, Module } from '@nestjs/common';
import { JobRegistry, OutboxRelay } from '@jobplane/persistence';
import type { HealthCheck } from '@jobplane/telemetry';
import type { Registry } from 'prom-client';
import { HealthController, METRICS_REGISTRY, READINESS_CHECKS } from './health.controller';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

export interface ApiModuleOptions {
  registry: JobRegistry;
  relay: OutboxRelay;
  tenant: string;
  readiness: HealthCheck[];
  metrics: Registry;
}

@Module({})
export class ApiModule {
  static forRoot(o: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [JobsController, HealthController],
      providers: [
        { provide: JobsService, useValue: new JobsService(o.registry, o.relay, o.tenant) },
        { provide: READINESS_CHECKS, useValue: o.readiness },
        { provide: METRICS_REGISTRY, useValue: o.metrics },
      ],
    };
  }
}
