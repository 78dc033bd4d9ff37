import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { MessageBus } from '@jobplane/messaging';
import type { Database } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';
import { AuditRecorder } from './audit-recorder';

@Injectable()
class AuditLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(AuditRecorder) private readonly recorder: AuditRecorder) {}
  async onApplicationBootstrap() {
    await this.recorder.start();
  }
  async beforeApplicationShutdown() {
    await this.recorder.stop();
  }
}

@Module({})
export class AuditModule {
  static forRoot(o: { bus: MessageBus; db: Database; logger: Logger }): DynamicModule {
    const recorder = new AuditRecorder(o.bus, o.db, o.logger.child({ context: 'AuditRecorder' }));
    return {
      module: AuditModule,
      providers: [{ provide: AuditRecorder, useValue: recorder }, AuditLifecycle],
      exports: [AuditRecorder],
    };
  }
}
