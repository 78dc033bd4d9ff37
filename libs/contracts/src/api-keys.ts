import { z } from 'zod';
import { SCOPES } from './auth';

/** Admin API for API keys. The secret is in the create response only; no other call returns it. */

export const TENANT_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/;

export const createApiKeyRequestSchema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN, 'tenant: letters, digits, ".", "_", "-" (max 100)'),
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateApiKeyRequest = z.output<typeof createApiKeyRequestSchema>;

export const apiKeyViewSchema = z.object({
  id: z.uuid(),
  /** The public part of the key (`jp_<prefix>_...`): identifies it in lists and logs. */
  prefix: z.string(),
  tenant: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

/** Create answer: the view plus the full key, shown this once. */
export const createdApiKeySchema = apiKeyViewSchema.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const listApiKeysQuerySchema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN).optional(),
});
