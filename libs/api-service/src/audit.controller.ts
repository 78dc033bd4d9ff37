import { Readable } from 'node:stream';
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuditRecordView, auditQuerySchema, AuditVerification, Principal } from '@jobplane/contracts';
import { AuditTrail } from '@jobplane/audit-service';
import { Auth } from './auth/auth.decorator';
import { parseInput } from './problems';

/** The tenant's audit trail: query, verify the hash chain, export as JSONL. Scope `audit:read`. */
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditTrail) private readonly trail: AuditTrail) {}

  @Get('records')
  async records(
    @Auth('audit:read') p: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
    return this.trail.list(p.tenant, parseInput(auditQuerySchema, query, 'query'));
  }

  @Get('verify')
  async verify(@Auth('audit:read') p: Principal): Promise<AuditVerification> {
    return this.trail.verify(p.tenant);
  }

  /** Streams every matching record as one JSON line each, for archival (no paging, any size). */
  @Get('export')
  async export(
    @Auth('audit:read') p: Principal,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
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
}
