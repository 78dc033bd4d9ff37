import { auditSchemaOf, type Config } from '@jobplane/config';
import { DynamicModule, Module } from '@nestjs/common';
import type { MessageBus } from '@jobplane/messaging';
import type { Database } from '@jobplane/persistence';
import { Logger, startStopProvider } from '@jobplane/telemetry';
import { AuditRecorder } from './audit-recorder';
import { AuditRetention } from './audit-retention';
import { auditTables } from './audit-tables';
import { AuditTrail } from './audit-trail';
import { AuditVerifier } from './audit-verifier';
import { registerAuditMetrics } from './audit-metrics';
import type { Registry } from 'prom-client';

/** The audit tunables of AuditModule.forRoot, read from validated configuration. */
export function auditSettingsFrom(config: Config) {
  return {
    schema: auditSchemaOf(config),
    retentionDays: config.AUDIT_RETENTION_DAYS,
    resultMaxBytes: config.RESULT_INLINE_MAX_BYTES,
    verifyIntervalSeconds: config.AUDIT_VERIFY_INTERVAL_SECONDS,
  };
}

@Module({})
export class AuditModule {
  static forRoot(o: {
    bus: MessageBus;
    db: Database;
    logger: Logger;
    /** AUDIT_DB_SCHEMA (resolved): the trail's own schema, brought up by `migrateAuditSchema` first. */
    schema: string;
    /** AUDIT_RETENTION_DAYS; 0 (default) keeps records forever. */
    retentionDays?: number;
    /** RESULT_INLINE_MAX_BYTES: results above it are audited as a digest. */
    resultMaxBytes?: number;
    /** AUDIT_VERIFY_INTERVAL_SECONDS; 0 turns the periodic chain verification off. */
    verifyIntervalSeconds?: number;
    /** Registry for the audit metrics (none: not instrumented). */
    metrics?: Registry;
  }): DynamicModule {
    const tables = auditTables(o.schema);
    const trail = new AuditTrail(o.db, tables);
    const recorder = new AuditRecorder(
      o.bus,
      o.db,
      tables,
      o.logger.child({ context: 'AuditRecorder' }),
      o.resultMaxBytes,
    );
    const retention = new AuditRetention(
      trail,
      o.logger.child({ context: 'AuditRetention' }),
      o.retentionDays ?? 0,
    );
    const verifier = new AuditVerifier(
      trail,
      o.logger.child({ context: 'AuditVerifier' }),
      (o.verifyIntervalSeconds ?? 0) * 1000,
    );
    if (o.metrics) registerAuditMetrics(o.metrics, recorder, verifier);
    return {
      module: AuditModule,
      providers: [
        { provide: AuditRecorder, useValue: recorder },
        startStopProvider(recorder),
        startStopProvider(retention),
        { provide: AuditVerifier, useValue: verifier },
        startStopProvider(verifier),
      ],
      exports: [AuditRecorder, AuditVerifier],
    };
  }
}
