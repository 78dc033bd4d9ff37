import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { CONSOLE_ASSETS_DIR, CONSOLE_BASE_PATH } from '@jobplane/console';
import { Logger, PinoNestLogger } from '@jobplane/telemetry';
import type { Registry } from 'prom-client';
import { registerHttpMetrics } from './api-metrics';
import { METRICS_REGISTRY } from './health.controller';
import { registerConsoleRoutes } from './console-assets';
import { API_VERSION, buildOpenApiDocument } from './openapi';
import { ProblemFilter, sendProblem } from './problem.filter';
import { checkCharset, checkJsonDepth, MAX_BODY_BYTES } from './problems';

export interface HttpLimits {
  /** Time to receive a whole request (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** Largest request line + headers; a bigger one is answered 431 by Node before any handler runs. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Longest path parameter (a job id with `:action` is 43 characters). */
export const MAX_PARAM_LENGTH = 200;

/**
 * Creates the HTTP application (Fastify) around a root module: problem+json errors everywhere
 * (including body-parser failures), OpenAPI at /docs, the web console at /console, bounded bodies,
 * headers, params and timeouts.
 */
export async function createHttpApp(
  rootModule: Type<unknown>,
  logger: Logger,
  version = API_VERSION,
  limits: HttpLimits = {},
): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: limits.requestTimeoutMs ?? 30_000,
    // Idle keep-alive sockets close after this; longer than typical load balancer idle timeouts (60 s).
    keepAliveTimeout: 65_000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: true,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new PinoNestLogger(logger.child({ context: 'nest' })),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  observeRequests(app, fastify);
  fastify.setErrorHandler((err, request, reply) => sendProblem(reply, request, err, logger));
  fastify.addHook('onRequest', async (request) => checkCharset(request.headers['content-type']));
  // Before any validator walks the body recursively: refuse absurd nesting with a 400.
  fastify.addHook('preValidation', async (request) => checkJsonDepth(request.body));
  await app.register(fastifySwagger, {
    mode: 'static',
    specification: { document: buildOpenApiDocument(version) },
  } as never);
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // The web console: static files over the public API (see docs/console.md).
  if (registerConsoleRoutes(fastify, CONSOLE_BASE_PATH, CONSOLE_ASSETS_DIR)) {
    fastify.get('/', (_req, reply) => reply.redirect(`${CONSOLE_BASE_PATH}/`, 302));
  } else {
    logger.warn({ dir: CONSOLE_ASSETS_DIR }, 'console assets not built: /console is not served');
  }
  app.useGlobalFilters(new ProblemFilter(logger));
  // No enableShutdownHooks: main's onShutdownSignal owns SIGTERM and calls app.close() (which runs
  // the lifecycle hooks). Nest's own hook closed the app at once (cutting short the embedded
  // worker's drain) and re-raised the signal, which made a graceful stop exit 1.
  return app;
}

/** Request rate, errors and latency per route template, into the module's metrics registry. */
function observeRequests(
  app: INestApplication,
  fastify: ReturnType<NestFastifyApplication['getHttpAdapter']>['getInstance'] extends () => infer F
    ? F
    : never,
): void {
  let registry: Registry;
  try {
    registry = app.get<Registry>(METRICS_REGISTRY, { strict: false });
  } catch {
    return; // a root module without the api's registry
  }
  const http = registerHttpMetrics(registry);
  fastify.addHook('onResponse', async (request, reply) => {
    http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
