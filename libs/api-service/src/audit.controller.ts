import { Readable } from 'node:stream';
import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditRecordView, auditQuerySchema, AuditVerification, Principal } from '@jobplane/contracts';
import { AuditTrail } from '@jobplane/audit-service';
import { AUTHENTICATOR, Authenticator, credentialFrom, requireScope } from './auth/authenticator';
import { parseInput } from './problems';

/** The tenant's audit trail: query, verify the hash chain, export as JSONL. Scope `audit:read`. */
@Controller('v1/audit')
export class AuditController {
  constructor(
    @Inject(AuditTrail) private readonly trail: AuditTrail,
    @Inject(AUTHENTICATOR) private readonly auth: Authenticator,
  ) {}

  @Get('records')
  async records(
    @Req() req: FastifyRequest,
    @Query() query: Record<string, unknown>,
  ): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
    const p = await this.principal(req);
    return this.trail.list(p.tenant, parseInput(auditQuerySchema, query, 'query'));
  }

  @Get('verify')
  async verify(@Req() req: FastifyRequest): Promise<AuditVerification> {
    return this.trail.verify((await this.principal(req)).tenant);
  }

  /** Streams every matching record as one JSON line each, for archival (no paging, any size). */
  @Get('export')
  async export(
    @Req() req: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const p = await this.principal(req);
    const { cursor: _c, limit: _l, ...filter } = parseInput(auditQuerySchema, query, 'query');
    const trail = this.trail;
    async function* lines() {
      for await (const r of trail.export(p.tenant, filter)) yield `${JSON.stringify(r)}\n`;
    }
    await reply
      .type('application/x-ndjson')
      .header('content-disposition', `attachment; filename="audit-${p.tenant}.jsonl"`)
      .send(Readable.from(lines()));
  }

  private async principal(req: FastifyRequest): Promise<Principal> {
    const p = await this.auth.authenticate(credentialFrom(req.headers));
    requireScope(p, 'audit:read');
    return p;
  }
}
