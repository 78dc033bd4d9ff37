import { z } from 'zod';

export const AUDIT_LIST_MAX_LIMIT = 1000;

/** `GET /v1/audit/records` filters; the export takes the same filters without paging. */
export const auditQuerySchema = z.strictObject({
  jobId: z.uuid().optional(),
  actor: z.string().min(1).max(200).optional(),
  type: z.string().min(1).max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_LIST_MAX_LIMIT).optional().default(100),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

export const auditRecordViewSchema = z.object({
  /** Position in the tenant's chain, from 1, gapless (a retention purge removes a prefix). */
  seq: z.number().int(),
  eventId: z.uuid(),
  jobId: z.uuid().nullable(),
  type: z.string(),
  actor: z.string().nullable(),
  occurredAt: z.string(),
  recordedAt: z.string(),
  body: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecordView = z.infer<typeof auditRecordViewSchema>;

export const auditVerificationSchema = z.object({
  tenant: z.string(),
  intact: z.boolean(),
  checked: z.number().int(),
  /** The first record whose link does not hold, and why. */
  brokenAt: z.number().int().nullable(),
  reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'missing_record']).nullable(),
  /** Where verification started: the last retention checkpoint, if any. */
  fromCheckpoint: z.number().int().nullable(),
});
export type AuditVerification = z.infer<typeof auditVerificationSchema>;
