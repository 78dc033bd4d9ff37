import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ERROR_CODES, Principal, Scope } from '@jobplane/contracts';
import { ApiProblem } from '../problems';
import { requireScope } from './authenticator';

export const PUBLIC_ROUTE = 'jobplane:public';

/** Marks a handler or controller as open to anyone (health, metrics). Everything else needs a key. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Where the AuthGuard leaves the caller on the request. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/**
 * The authenticated caller, checked for `scope`: `@Auth('jobs:write') principal: Principal`.
 * The AuthGuard authenticates first; a route that somehow bypassed it fails closed with 401.
 */
export const Auth = createParamDecorator((scope: Scope, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new ApiProblem(401, ERROR_CODES.unauthenticated, 'Unauthenticated');
  requireScope(principal, scope);
  return principal;
});
