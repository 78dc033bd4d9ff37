import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Logger, PinoNestLogger } from '@jobplane/telemetry';
import { buildOpenApiDocument } from './openapi';
import { ProblemFilter, sendProblem } from './problem.filter';
import { MAX_BODY_BYTES } from './problems';

/**
 * Creates the HTTP application (Fastify) around a root module: problem+json errors everywhere
 * (including body-parser failures), OpenAPI at /docs, bounded bodies and timeouts.
 */
export async function createHttpApp(
  rootModule: Type<unknown>,
  logger: Logger,
  version = '0.1.0',
): Promise<INestApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, requestTimeout: 30_000, trustProxy: true });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new PinoNestLogger(logger.child({ context: 'nest' })),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.setErrorHandler((err, request, reply) => sendProblem(reply, request, err, logger));
  await app.register(fastifySwagger, {
    mode: 'static',
    specification: { document: buildOpenApiDocument(version) },
  } as never);
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.useGlobalFilters(new ProblemFilter(logger));
  // No enableShutdownHooks: main's onShutdownSignal owns SIGTERM and calls app.close() (which runs
  // the lifecycle hooks). Nest's own hook closed the app at once (cutting short the embedded
  // worker's drain) and re-raised the signal, which made a graceful stop exit 1.
  return app;
}
