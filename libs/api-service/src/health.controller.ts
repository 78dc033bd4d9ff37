import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthCheck, runChecks } from '@jobplane/telemetry';
import type { Registry } from 'prom-client';
import { Public } from './auth/auth.decorator';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Open to anyone: probes and scrapers carry no API key. */
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: HealthCheck[],
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** The process runs (no dependency checks: a dead database must not restart every pod). */
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  /** Every dependency this process needs answers. */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await runChecks(this.checks);
    void reply.status(report.status === 'ok' ? 200 : 503);
    return report;
  }

  @Get('metrics')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', this.registry.contentType);
    return this.registry.metrics();
  }
}
