import { DURATION_BUCKETS_S } from '@jobplane/telemetry';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditEntry } from './audit-entry';
import type { AuditRecorder } from './audit-recorder';
import type { AuditVerifier } from './audit-verifier';

/** Audit ingest (records, lag) and chain-verification metrics. */
export function registerAuditMetrics(
  registry: Registry,
  recorder: AuditRecorder,
  verifier: AuditVerifier,
): void {
  const recorded = new Counter({
    name: 'jobplane_audit_records_total',
    help: 'Audit entries committed to the trail, one per lifecycle message, scheduler transition or admin action (duplicates ignored by event id included).',
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'jobplane_audit_ingest_lag_seconds',
    help: 'Age of audit entries (since they occurred) when committed to the trail.',
    buckets: DURATION_BUCKETS_S,
    registers: [registry],
  });
  recorder.onRecorded = (entries: AuditEntry[]) => {
    const now = Date.now();
    recorded.inc(entries.length);
    for (const e of entries) lag.observe(Math.max(0, now - Date.parse(e.occurredAt)) / 1000);
  };
  new Gauge({
    name: 'jobplane_audit_chain_intact',
    help: '0 when the last periodic verification found a broken hash chain, else 1.',
    registers: [registry],
    collect() {
      this.set(verifier.broken.length > 0 ? 0 : 1);
    },
  });
  new Gauge({
    name: 'jobplane_audit_chain_broken_tenants',
    help: 'Tenants whose hash chain failed the last periodic verification.',
    registers: [registry],
    collect() {
      this.set(verifier.broken.length);
    },
  });
  new Gauge({
    name: 'jobplane_audit_chain_verified_timestamp_seconds',
    help: 'When the last periodic chain verification finished (0: not yet).',
    registers: [registry],
    collect() {
      this.set(verifier.verifiedAt / 1000);
    },
  });
}
