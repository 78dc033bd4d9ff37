import { ERROR_CODES, hasScope, Principal, Scope, SCOPES } from '@jobplane/contracts';
import { ApiProblem } from '../problems';

/** Resolves a credential (the raw API key, or undefined when none was sent) to a principal. */
export interface Authenticator {
  authenticate(credential: string | undefined): Promise<Principal>;
}

export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

/** No authentication: every caller is the default tenant with every scope (embedded first run only). */
export class OpenAuthenticator implements Authenticator {
  constructor(private readonly tenant: string) {}

  authenticate(): Promise<Principal> {
    return Promise.resolve({ tenant: this.tenant, scopes: SCOPES, keyId: null });
  }
}

/** The API key from `Authorization: Bearer <key>` or `X-Api-Key`, for any surface's header map. */
export function credentialFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = first(headers['authorization']);
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || undefined;
  return first(headers['x-api-key'])?.trim() || undefined;
}

/** Throws 403 unless the principal holds `scope`. */
export function requireScope(p: Principal, scope: Scope): void {
  if (!hasScope(p, scope))
    throw new ApiProblem(403, ERROR_CODES.forbidden, 'Forbidden', `this API key lacks the ${scope} scope`);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
