import { DynamicModule, Module } from '@nestjs/common';
import type { MessageBus } from '@jobplane/messaging';
import type { Database } from '@jobplane/persistence';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { AuditRecorder } from './audit-recorder';
import { AuditRetention } from './audit-retention';
import { AuditTrail } from './audit-trail';

@Module({})
export class AuditModule {
  static forRoot(o: {
    bus: MessageBus;
    db: Database;
    logger: Logger;
    /** AUDIT_RETENTION_DAYS; 0 (default) keeps records forever. */
    retentionDays?: number;
    /** RESULT_INLINE_MAX_BYTES: results above it are audited as a digest. */
    resultMaxBytes?: number;
  }): DynamicModule {
    const recorder = new AuditRecorder(
      o.bus,
      o.db,
      o.logger.child({ context: 'AuditRecorder' }),
      o.resultMaxBytes,
    );
    const retention = new AuditRetention(
      new AuditTrail(o.db),
      o.logger.child({ context: 'AuditRetention' }),
      o.retentionDays ?? 0,
    );
    return {
      module: AuditModule,
      providers: [
        { provide: AuditRecorder, useValue: recorder },
        startStopProvider(recorder),
        startStopProvider(retention),
      ],
      exports: [AuditRecorder],
    };
  }
}
