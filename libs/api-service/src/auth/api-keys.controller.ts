import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  actorIdOf,
  ApiKeyView,
  CreatedApiKey,
  createApiKeyRequestSchema,
  ERROR_CODES,
  listApiKeysQuerySchema,
  Principal,
  UUID_PATTERN,
} from '@jobplane/contracts';
import { ApiKeyRecord, ApiKeyStore } from '@jobplane/persistence';
import { ApiProblem, parseInput } from '../problems';
import { Auth } from './auth.decorator';

/** Admin endpoints for API keys. `admin` is the installation operator's scope: it spans tenants. */
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  /** 201 with the full key: the only time it is ever shown. */
  @Post()
  async create(
    @Auth('admin') p: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedApiKey> {
    const input = parseInput(createApiKeyRequestSchema, body ?? {}, 'body');
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt <= new Date())
      throw new ApiProblem(
        400,
        ERROR_CODES.validation,
        'Request validation failed',
        'expiresAt is in the past',
      );
    const { key, record } = await this.keys.create(
      { ...input, expiresAt },
      { tenant: p.tenant, id: actorIdOf(p) },
    );
    void reply.status(201).header('cache-control', 'no-store');
    return { ...toView(record), key };
  }

  @Get()
  async list(
    @Auth('admin') _p: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ items: ApiKeyView[] }> {
    const { tenant } = parseInput(listApiKeysQuerySchema, query, 'query');
    return { items: (await this.keys.list(tenant)).map(toView) };
  }

  /** `POST /v1/api-keys/{id}:revoke`: the key stops working at once; revoking twice is fine. */
  @Post(':idAction')
  @HttpCode(200)
  async revoke(@Auth('admin') p: Principal, @Param('idAction') idAction: string): Promise<ApiKeyView> {
    const [id, action] = idAction.split(':');
    if (action !== 'revoke' || !id || !UUID_PATTERN.test(id)) throw notFound(idAction);
    const record = await this.keys.revoke(id, { tenant: p.tenant, id: actorIdOf(p) });
    if (!record) throw notFound(id);
    return toView(record);
  }
}

function notFound(what: string): ApiProblem {
  return new ApiProblem(404, ERROR_CODES.notFound, 'API key not found', `no API key ${what}`);
}

function toView(k: ApiKeyRecord): ApiKeyView {
  return {
    id: k.id,
    prefix: `jp_${k.prefix}`,
    tenant: k.tenant,
    name: k.name,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
