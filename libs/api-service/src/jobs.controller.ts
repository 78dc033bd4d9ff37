import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  cancelJobRequestSchema,
  ERROR_CODES,
  idempotencyKeySchema,
  listJobsQuerySchema,
  Principal,
  retryJobRequestSchema,
  submitJobRequestSchema,
  submitJobsRequestSchema,
  actorIdOf,
} from '@jobplane/contracts';
import { toJobView } from '@jobplane/persistence';
import { Auth } from './auth/auth.decorator';
import { LiveSse, wantsEventStream } from './events/live-sse';
import { JobsService } from './jobs.service';
import { ApiProblem, parseInput } from './problems';

@Controller('v1/jobs')
export class JobsController {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(LiveSse) private readonly live: LiveSse,
  ) {}

  /**
   * 201 with the new job; 200 with the earlier job when the idempotency key (the `Idempotency-Key`
   * header or the body's `idempotencyKey`) was seen with the same body within 24 h; 409 with another body.
   */
  @Post()
  async submit(
    @Auth('jobs:write') principal: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') header: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const input = parseInput(submitJobRequestSchema, body ?? {}, 'body');
    const key =
      header === undefined ? undefined : parseInput(idempotencyKeySchema, header, 'Idempotency-Key');
    if (key && input.idempotencyKey && key !== input.idempotencyKey)
      throw new ApiProblem(
        400,
        ERROR_CODES.validation,
        'Request validation failed',
        'the Idempotency-Key header and the body idempotencyKey differ',
      );
    const [result] = await this.jobs.submit(principal.tenant, [
      { ...input, idempotencyKey: key ?? input.idempotencyKey },
    ]);
    void reply.status(result!.created ? 201 : 200).header('location', `/v1/jobs/${result!.job.id}`);
    return toJobView(result!.job);
  }

  @Get()
  async list(@Auth('jobs:read') principal: Principal, @Query() query: Record<string, unknown>) {
    return this.jobs.list(principal.tenant, parseInput(listJobsQuerySchema, query, 'query'));
  }

  @Get(':id')
  async get(@Auth('jobs:read') principal: Principal, @Param('id') id: string) {
    return this.jobs.get(principal.tenant, id);
  }

  /** The job's event history as JSON, or with `Accept: text/event-stream` a live SSE stream. */
  @Get(':id/events')
  async events(
    @Auth('jobs:read') principal: Principal,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    if (wantsEventStream(req)) return this.live.streamJob(req, reply, id);
    return reply.send({ items: await this.jobs.events(principal.tenant, id) });
  }

  /**
   * Custom methods in the `{id}:{action}` style: `POST /v1/jobs/{id}:cancel`, `POST /v1/jobs/{id}:retry`,
   * and `POST /v1/jobs:batch` (Fastify sees `jobs:batch` as a parameter of this route).
   */
  @Post(':idAction')
  async action(
    @Auth('jobs:write') principal: Principal,
    @Param('idAction') idAction: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const sep = idAction.lastIndexOf(':');
    const [id, action] = sep >= 0 ? [idAction.slice(0, sep), idAction.slice(sep + 1)] : [idAction, ''];
    if (action === 'cancel') {
      const { reason } = parseInput(cancelJobRequestSchema, body ?? {}, 'body');
      void reply.status(202);
      return this.jobs.cancel(principal.tenant, id, reason, actorIdOf(principal));
    }
    if (action === 'retry') {
      const { reason } = parseInput(retryJobRequestSchema, body ?? {}, 'body');
      void reply.status(202);
      return this.jobs.retry(principal.tenant, id, reason, actorIdOf(principal));
    }
    throw unknownAction(action);
  }
}

/** `POST /v1/jobs:batch` lives on the collection path, so Fastify routes it apart from `/v1/jobs/...`. */
@Controller('v1')
export class JobsBatchController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  /** 200 with one answer per job in request order; valid jobs are created even if others are not. */
  @Post('jobs::batch') // '::' is a literal ':' in Fastify's router
  @HttpCode(200)
  async batch(@Auth('jobs:write') principal: Principal, @Body() body: unknown) {
    const { jobs } = parseInput(submitJobsRequestSchema, body ?? {}, 'body');
    return this.jobs.submitBatch(principal.tenant, jobs);
  }
}

function unknownAction(action: string): ApiProblem {
  return new ApiProblem(
    404,
    ERROR_CODES.notFound,
    'Unknown action',
    `POST /v1/jobs/{id}:${action || '?'} is not an action; try :cancel or :retry`,
  );
}
