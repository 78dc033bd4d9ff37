/** API key scopes. `admin` implies the others. Values are wire format — never rename. */
export const SCOPES = ['jobs:read', 'jobs:write', 'audit:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: every surface (REST, gRPC, SSE, WebSocket) resolves one before touching jobs. */
export interface Principal {
  tenant: string;
  scopes: readonly Scope[];
  /** The API key's id; null for the open (unauthenticated, development) principal. */
  keyId: string | null;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

/** How the audit trail names a principal: its API key id, or `open` when auth is off. */
export function actorIdOf(p: Principal): string {
  return p.keyId ?? 'open';
}
