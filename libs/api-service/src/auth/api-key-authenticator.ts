import { ERROR_CODES, Principal } from '@jobplane/contracts';
import type { ApiKeyStore } from '@jobplane/persistence';
import { ApiProblem } from '../problems';
import type { Authenticator } from './authenticator';

/**
 * API keys from the `api_keys` table. Every refusal is the same 401 (no hint whether a key exists,
 * was revoked or expired); the reason goes to the log through `onRejected`, by key prefix only.
 * No cache: a revocation holds on every replica from the next request.
 */
export class ApiKeyAuthenticator implements Authenticator {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly onRejected: (reason: string, prefix: string | null) => void = () => undefined,
  ) {}

  async authenticate(credential: string | undefined): Promise<Principal> {
    if (!credential) throw unauthenticated('an API key is required (Authorization: Bearer <key>)');
    const verdict = await this.keys.verify(credential);
    if (!verdict.ok) {
      this.onRejected(verdict.reason, /^jp_([a-z0-9]{8,32})_/.exec(credential)?.[1] ?? null);
      throw unauthenticated('the API key is not valid (unknown, revoked or expired)');
    }
    const { record } = verdict;
    return { tenant: record.tenant, scopes: record.scopes, keyId: record.id };
  }
}

function unauthenticated(detail: string): ApiProblem {
  return new ApiProblem(401, ERROR_CODES.unauthenticated, 'Unauthenticated', detail, undefined, {
    'www-authenticate': 'Bearer realm="jobplane"',
  });
}
