import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTHENTICATOR, Authenticator, credentialFrom } from './authenticator';
import { AuthenticatedRequest, PUBLIC_ROUTE } from './auth.decorator';
import { RATE_LIMITER, RateLimiter, rateLimitedProblem } from '../limits/rate-limiter';
import { wantsEventStream } from '../events/live-sse';

/**
 * Global guard of every HTTP route not marked @Public: resolves the API key to a principal (401
 * otherwise), then spends one request of the tenant's rate limit (429 with Retry-After).
 */
/**
 * The key from the headers; for an event stream also `?access_token=`, because a browser's
 * EventSource cannot set headers (headers win when both are sent).
 */
function credentialOf(request: FastifyRequest): string | undefined {
  const fromHeaders = credentialFrom(request.headers);
  if (fromHeaders || !wantsEventStream(request)) return fromHeaders;
  const token = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' && token.trim() ? token.trim() : undefined;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // other transports authenticate their own way
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()]))
      return true;
    const request = ctx.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const principal = await this.authenticator.authenticate(credentialOf(request));
    const verdict = await this.limiter.take(principal.tenant);
    if (!verdict.allowed) throw rateLimitedProblem(principal.tenant, verdict.retryAfterMs);
    request.principal = principal;
    return true;
  }
}
