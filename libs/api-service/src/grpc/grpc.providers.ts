import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  Provider,
} from '@nestjs/common';
import type { Config } from '@jobplane/config';
import type { Logger } from '@jobplane/telemetry';
import { AUTHENTICATOR, Authenticator } from '../auth/authenticator';
import { JOB_EVENT_FEED, JobEventFeed } from '../events/job-event-feed';
import { JobsService } from '../jobs.service';
import { GrpcServer } from './grpc-server';
import type { Registry } from 'prom-client';
import { registerGrpcMetrics } from '../api-metrics';
import { METRICS_REGISTRY } from '../health.controller';

@Injectable()
class GrpcServerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(GrpcServer) private readonly server: GrpcServer) {}
  async onApplicationBootstrap() {
    await this.server.start();
  }
  async beforeApplicationShutdown() {
    await this.server.stop();
  }
}

/**
 * The gRPC server over the module's JobsService, event feed and authenticator, in the app lifecycle;
 * none when GRPC_PORT is 0.
 */
export function grpcProviders(config: Pick<Config, 'HOST' | 'GRPC_PORT'>, logger: Logger): Provider[] {
  if (config.GRPC_PORT === 0) return [];
  return [
    {
      provide: GrpcServer,
      useFactory: (jobs: JobsService, feed: JobEventFeed, auth: Authenticator, registry: Registry) =>
        new GrpcServer({
          host: config.HOST,
          port: config.GRPC_PORT,
          jobs,
          feed,
          auth,
          logger,
          metrics: registerGrpcMetrics(registry),
        }),
      inject: [JobsService, JOB_EVENT_FEED, AUTHENTICATOR, METRICS_REGISTRY],
    },
    GrpcServerLifecycle,
  ];
}
