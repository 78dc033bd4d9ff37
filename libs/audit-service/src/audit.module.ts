import { DynamicModule, Module } from '@nestjs/common';
import type { MessageBus } from '@jobplane/messaging';
import type { Database } from '@jobplane/persistence';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { AuditRecorder } from './audit-recorder';

@Module({})
export class AuditModule {
  static forRoot(o: {
    bus: MessageBus;
    db: Database;
    logger: Logger;
    /** RESULT_INLINE_MAX_BYTES: results above it are audited as a digest. */
    resultMaxBytes?: number;
  }): DynamicModule {
    const recorder = new AuditRecorder(
      o.bus,
      o.db,
      o.logger.child({ context: 'AuditRecorder' }),
      o.resultMaxBytes,
    );
    return {
      module: AuditModule,
      providers: [{ provide: AuditRecorder, useValue: recorder }, startStopProvider(recorder)],
      exports: [AuditRecorder],
    };
  }
}
