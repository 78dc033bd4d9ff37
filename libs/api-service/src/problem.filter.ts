import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@jobplane/telemetry';
import { problemHeaders, toProblem } from './problems';

/** The one place errors become responses: problem+json with a stable `code`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    sendProblem(
      reply,
      request,
      exception instanceof HttpException
        ? { status: exception.getStatus(), message: exception.message }
        : exception,
      this.logger,
    );
  }
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  err: unknown,
  logger: Logger,
): void {
  const problem = toProblem(err, request.url);
  if (problem.status >= 500)
    logger.error({ err, url: request.url, method: request.method }, 'request failed');
  void reply
    .status(problem.status)
    .headers(problemHeaders(err))
    .header('content-type', 'application/problem+json')
    .send(problem);
}
