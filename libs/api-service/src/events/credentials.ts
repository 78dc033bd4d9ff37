import type { Principal } from '@jobplane/contracts';
import { Authenticator, credentialFrom, requireScope } from '../auth/authenticator';

type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * The principal of a streaming request. Browsers cannot set headers on EventSource or WebSocket,
 * so the key may also come as `?access_token=` (headers win when both are sent).
 */
export async function streamPrincipal(
  auth: Authenticator,
  headers: HeaderMap,
  accessToken: string | undefined,
): Promise<Principal> {
  const principal = await auth.authenticate(credentialFrom(headers) ?? (accessToken?.trim() || undefined));
  requireScope(principal, 'jobs:read');
  return principal;
}
