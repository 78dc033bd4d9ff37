import { z } from 'zod';
import { uuidv7 } from './ids';
import { CONTRACT_VERSION, formatIssues } from './messages';

/**
 * Attempt claims: a worker holding a delivery it cannot trust to be the attempt's only run (the
 * broker redelivered it, or the outbox relay may have published it twice) asks the scheduler before
 * running it. Separate from the lifecycle union: claims are requests with a reply, never recorded.
 */

/** Why the worker asks: the broker's `redelivered` flag, or the relay's HEADER_REPUBLISHED. */
export const CLAIM_CAUSES = ['redelivered', 'republished'] as const;
export type ClaimCause = (typeof CLAIM_CAUSES)[number];

/** Why a claim was refused. Values are wire format — never rename. */
export const CLAIM_REFUSALS = [
  'unknown_job',
  'attempt_superseded',
  'job_finished',
  'attempt_ended',
  'cancel_requested',
  'running_elsewhere',
] as const;
export type ClaimRefusal = (typeof CLAIM_REFUSALS)[number];

const attempt = z.number().int().min(1);
const workerId = z.string().min(1).max(200);

/** worker -> scheduler (SCHEDULER_CLAIMS_QUEUE): may I run this attempt? */
export const attemptClaimSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  type: z.literal('attempt.claim'),
  id: z.uuid(),
  jobId: z.uuid(),
  tenant: z.string().min(1).max(100),
  attempt,
  workerId,
  cause: z.enum(CLAIM_CAUSES),
  occurredAt: z.iso.datetime(),
});
export type AttemptClaim = z.infer<typeof attemptClaimSchema>;

/** scheduler -> the claiming worker's control queue: the answer, keyed by the claim's id. */
export const claimReplySchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  type: z.literal('attempt.claim_reply'),
  claimId: z.uuid(),
  jobId: z.uuid(),
  attempt,
  granted: z.boolean(),
  reason: z.enum(CLAIM_REFUSALS).optional(),
});
export type ClaimReply = z.infer<typeof claimReplySchema>;

export function createAttemptClaim(
  fields: Omit<AttemptClaim, 'v' | 'type' | 'id' | 'occurredAt'>,
): AttemptClaim {
  return {
    v: CONTRACT_VERSION,
    type: 'attempt.claim',
    id: uuidv7(),
    occurredAt: new Date().toISOString(),
    ...fields,
  };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, raw: Buffer | string): Parsed<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: formatIssues(parsed.error) };
}

export const parseAttemptClaim = (raw: Buffer | string) => parseWith(attemptClaimSchema, raw);
export const parseClaimReply = (raw: Buffer | string) => parseWith(claimReplySchema, raw);
