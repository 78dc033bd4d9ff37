import { z } from 'zod';
import { formatIssues } from './messages';
import { uuidv7 } from './ids';
import { CONTRACT_VERSION } from './messages';

/** Administrative actions the audit trail records with their actor. Values are wire format — never rename. */
export const ADMIN_ACTIONS = [
  'api_key.created',
  'api_key.revoked',
  'pool.updated',
  'schedule.created',
  'schedule.updated',
  'schedule.deleted',
] as const;
export type AdminActionName = (typeof ADMIN_ACTIONS)[number];

/** Routing key prefix on the events exchange; the audit queue binds `admin.#`. */
export const ADMIN_ROUTING_PREFIX = 'admin.';
export const ALL_ADMIN_ACTIONS = 'admin.#';

/** Who did what to which object (never secrets: an API key is named by its id, never its value). */
export const adminActionSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  id: z.uuid(),
  type: z.literal('admin.action'),
  tenant: z.string().min(1).max(100),
  /** The API key id (or `bootstrap`, `system`) that acted. */
  actor: z.string().min(1).max(200),
  action: z.enum(ADMIN_ACTIONS),
  target: z.object({ kind: z.string().max(50), id: z.string().max(200) }),
  details: z.record(z.string(), z.unknown()).default({}),
  occurredAt: z.iso.datetime(),
});
export type AdminAction = z.infer<typeof adminActionSchema>;

export function createAdminAction(fields: {
  tenant: string;
  actor: string;
  action: AdminActionName;
  target: { kind: string; id: string };
  details?: Record<string, unknown>;
}): AdminAction {
  return {
    v: CONTRACT_VERSION,
    id: uuidv7(),
    type: 'admin.action',
    occurredAt: new Date().toISOString(),
    details: {},
    ...fields,
  };
}

export function parseAdminAction(
  raw: Buffer | string,
): { ok: true; action: AdminAction } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const parsed = adminActionSchema.safeParse(value);
  return parsed.success
    ? { ok: true, action: parsed.data }
    : { ok: false, error: formatIssues(parsed.error) };
}
