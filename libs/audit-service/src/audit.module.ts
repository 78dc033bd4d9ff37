import { DynamicModule, Module } from '@nestjs/common';
import type { MessageBus } from '@jobplane/messaging';
import type { Database } from '@jobplane/persistence';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { AuditRecorder } from './audit-recorder';

@Module({})
export class AuditModule {
  static forRoot(o: { bus: MessageBus; db: Database; logger: Logger }): DynamicModule {
    const recorder = new AuditRecorder(o.bus, o.db, o.logger.child({ context: 'AuditRecorder' }));
    return {
      module: AuditModule,
      providers: [{ provide: AuditRecorder, useValue: recorder }, startStopProvider(recorder)],
      exports: [AuditRecorder],
    };
  }
}
