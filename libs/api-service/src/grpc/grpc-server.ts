import {
  handleUnaryCall,
  Server,
  ServerCredentials,
  ServiceDefinition,
  status,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { GRPC_JOB_SERVICE, JOBS_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@jobplane/contracts';
import type { Logger, StartStop } from '@jobplane/telemetry';
import { HealthImplementation, protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import type { RequestMetrics } from '../api-metrics';
import { Authenticator } from '../auth/authenticator';
import { JobEventFeed } from '../events/job-event-feed';
import { MAX_BODY_BYTES } from '../problems';
import { JobServiceHandlers } from './job-service';
import { JobsPort } from './jobs-port';

export interface GrpcServerOptions {
  host: string;
  /** 0 = an ephemeral port (see `port` once started). */
  port: number;
  jobs: JobsPort;
  feed: JobEventFeed;
  auth: Authenticator;
  logger: Logger;
  /** Largest accepted request message (REST's body limit by default). */
  maxMessageBytes?: number;
  /** How long stop() lets in-flight calls finish before cutting them. */
  shutdownGraceMs?: number;
  /** `jobplane_grpc_requests_total{method,code}` and its latency histogram (unary calls). */
  metrics?: RequestMetrics;
}

/**
 * The gRPC surface on its own port: jobplane.v1.JobService, the standard grpc.health.v1.Health and
 * server reflection (so grpcurl works without the .proto). Started and stopped with the api app.
 */
export class GrpcServer implements StartStop {
  private server: Server | undefined;
  private readonly handlers: JobServiceHandlers;
  private readonly health = new HealthImplementation({
    '': 'NOT_SERVING',
    [GRPC_JOB_SERVICE]: 'NOT_SERVING',
  });
  /** The bound port (differs from options.port when that is ephemeral); undefined until started. */
  port: number | undefined;

  constructor(private readonly o: GrpcServerOptions) {
    this.handlers = new JobServiceHandlers(o.jobs, o.feed, o.auth, o.logger);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const definition = loadSync([JOBS_PROTO_PATH, HEALTH_PROTO_PATH], PROTO_LOADER_OPTIONS);
    const server = new Server({
      'grpc.max_receive_message_length': this.o.maxMessageBytes ?? MAX_BODY_BYTES,
    });
    const implementation = this.handlers.implementation();
    server.addService(
      definition[GRPC_JOB_SERVICE] as ServiceDefinition,
      this.o.metrics ? observeUnary(implementation, this.o.metrics) : implementation,
    );
    this.health.addToServer(server);
    new ReflectionService(definition).addToServer(server);
    const address = `${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${this.o.port}`;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    this.server = server;
    this.setServing('SERVING');
    this.o.logger.info({ address: `${this.o.host}:${this.port}` }, 'gRPC listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.setServing('NOT_SERVING');
    this.handlers.abortWatches();
    const grace = setTimeout(() => server.forceShutdown(), this.o.shutdownGraceMs ?? 5_000);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    clearTimeout(grace);
  }

  private setServing(s: 'SERVING' | 'NOT_SERVING'): void {
    this.health.setStatus('', s);
    this.health.setStatus(GRPC_JOB_SERVICE, s);
  }
}

/** Wraps the unary handlers (call, callback) so each answer is counted by method and status code. */
function observeUnary(
  impl: UntypedServiceImplementation,
  metrics: RequestMetrics,
): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    if (typeof handler !== 'function' || handler.length !== 2) {
      out[method] = handler;
      continue;
    }
    const unary = handler as handleUnaryCall<unknown, unknown>;
    out[method] = ((call, callback) => {
      const t0 = process.hrtime.bigint();
      unary(call, (err, ...rest) => {
        const code = status[err?.code ?? status.OK] ?? 'UNKNOWN';
        metrics.observe({ method, code }, Number(process.hrtime.bigint() - t0) / 1e9);
        callback(err, ...rest);
      });
    }) as handleUnaryCall<unknown, unknown>;
  }
  return out;
}
