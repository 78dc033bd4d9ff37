import {
  ADMIN_ROUTING_PREFIX,
  AdminActionName,
  createAdminAction,
  EVENTS_EXCHANGE,
} from '@jobplane/contracts';
import type { Tx } from './database';
import { enqueueOutbox } from './outbox';

/** Who performs an administrative change: the caller's tenant and API key id (`system` when none). */
export interface Actor {
  tenant: string;
  id: string;
}

export const SYSTEM_ACTOR_ID = 'system';

/**
 * Records an administrative action for the audit trail in the caller's transaction (via the outbox),
 * so the change and its audit record commit together or not at all.
 */
export async function recordAdminAction(
  tx: Tx,
  actor: Actor,
  action: AdminActionName,
  target: { kind: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  const message = createAdminAction({ tenant: actor.tenant, actor: actor.id, action, target, details });
  await enqueueOutbox(tx, [
    {
      exchange: EVENTS_EXCHANGE,
      routingKey: `${ADMIN_ROUTING_PREFIX}${action}`,
      messageId: message.id,
      body: JSON.stringify(message),
    },
  ]);
}
