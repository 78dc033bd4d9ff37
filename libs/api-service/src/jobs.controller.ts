import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  cancelJobRequestSchema,
  ERROR_CODES,
  listJobsQuerySchema,
  submitJobRequestSchema,
} from '@jobplane/contracts';
import { toJobView } from '@jobplane/persistence';
import { LiveSse, wantsEventStream } from './events/live-sse';
import { JobsService } from './jobs.service';
import { ApiProblem, parseInput } from './problems';
import { API_TENANT } from './schedules.controller';

@Controller('v1/jobs')
export class JobsController {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(API_TENANT) private readonly tenant: string,
    @Inject(LiveSse) private readonly live: LiveSse,
  ) {}

  /** 201 with the new job; 200 with the earlier job when the idempotency key was seen before. */
  @Post()
  async submit(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = parseInput(submitJobRequestSchema, body ?? {}, 'body');
    const [result] = await this.jobs.submit(this.tenant, [input]);
    void reply.status(result!.created ? 201 : 200).header('location', `/v1/jobs/${result!.job.id}`);
    return toJobView(result!.job);
  }

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    return this.jobs.list(this.tenant, parseInput(listJobsQuerySchema, query, 'query'));
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return this.jobs.get(this.tenant, id);
  }

  /** The job's event history as JSON, or with `Accept: text/event-stream` a live SSE stream. */
  @Get(':id/events')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (wantsEventStream(req)) return this.live.streamJob(req, reply, id);
    return reply.send({ items: await this.jobs.events(this.tenant, id) });
  }

  /** Custom methods in the `{id}:{action}` style (`POST /v1/jobs/{id}:cancel`). */
  @Post(':idAction')
  @HttpCode(202)
  async action(@Param('idAction') idAction: string, @Body() body: unknown) {
    const sep = idAction.lastIndexOf(':');
    const [id, action] = sep > 0 ? [idAction.slice(0, sep), idAction.slice(sep + 1)] : [idAction, ''];
    if (action === 'cancel') {
      const { reason } = parseInput(cancelJobRequestSchema, body ?? {}, 'body');
      return this.jobs.cancel(this.tenant, id, reason);
    }
    throw new ApiProblem(
      404,
      ERROR_CODES.notFound,
      'Unknown action',
      `POST /v1/jobs/{id}:${action || '?'} is not an action; try :cancel`,
    );
  }
}
