import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ERROR_CODES, Principal, UUID_PATTERN } from '@jobplane/contracts';
import { JobNotFoundError, ResultNotAvailableError, ResultStore } from '@jobplane/persistence';
import { ApiProblem } from './problems';
import { Auth } from './auth/auth.decorator';

/**
 * `GET /v1/jobs/{id}/result`: the result JSON of a succeeded job, whether it is kept on the job or
 * in the result store (results over RESULT_INLINE_MAX_BYTES), sent as the stored bytes.
 */
@Controller('v1/jobs')
export class ResultsController {
  constructor(@Inject(ResultStore) private readonly results: ResultStore) {}

  @Get(':id/result')
  async get(
    @Auth('jobs:read') p: Principal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw new JobNotFoundError(id);
    try {
      const result = await this.results.get(p.tenant, id);
      await reply
        .status(200)
        .header('content-type', `${result.contentType}; charset=utf-8`)
        .header('content-length', result.body.length)
        .send(result.body);
    } catch (err) {
      if (err instanceof ResultNotAvailableError)
        throw new ApiProblem(404, ERROR_CODES.notFound, 'Result not available', err.message);
      throw err;
    }
  }
}
