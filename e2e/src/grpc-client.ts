import { dirname, join } from 'node:path';
import {
  Client,
  ClientReadableStream,
  credentials,
  loadPackageDefinition,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { JOBS_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@jobplane/contracts';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';

/** A plain @grpc/grpc-js client of the stack's gRPC port, loaded from the same .proto as the server. */

const REFLECTION_PROTO_PATH = join(
  dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: any) => void) => void;

const pkg = loadPackageDefinition(
  loadSync([JOBS_PROTO_PATH, HEALTH_PROTO_PATH, REFLECTION_PROTO_PATH], PROTO_LOADER_OPTIONS),
) as any;

export interface GrpcClients {
  /** Unary JobService call: resolves with the response or rejects with the ServiceError. */
  call<T = any>(method: string, req: unknown): Promise<T>;
  /** WatchJob as an async iterable of events (the stream ends after the terminal event). */
  watch(req: { id: string; afterSeq?: number }): ClientReadableStream<any>;
  health(service: string): Promise<{ status: string }>;
  listServices(): Promise<string[]>;
  close(): void;
}

export function grpcClients(address: string, apiKey?: string): GrpcClients {
  const creds = credentials.createInsecure();
  const jobs = new (pkg.jobplane.v1.JobService as Ctor)(address, creds);
  const health = new (pkg.grpc.health.v1.Health as Ctor)(address, creds);
  const reflection = new (pkg.grpc.reflection.v1.ServerReflection as Ctor)(address, creds);
  const metadata = () => {
    const md = new Metadata();
    if (apiKey) md.set('authorization', `Bearer ${apiKey}`);
    return md;
  };
  const unary = (client: Client, method: string, req: unknown) =>
    new Promise<any>((resolve, reject) =>
      (client as unknown as Record<string, Unary>)[method]!.call(client, req, metadata(), (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  return {
    call: (method, req) => unary(jobs, method, req),
    watch: (req) =>
      (jobs as unknown as { WatchJob(r: unknown, md: Metadata): ClientReadableStream<any> }).WatchJob(
        req,
        metadata(),
      ),
    health: (service) => unary(health, 'Check', { service }),
    listServices: () =>
      new Promise((resolve, reject) => {
        const stream = (reflection as unknown as { ServerReflectionInfo(): any }).ServerReflectionInfo();
        stream.on('data', (res: { listServicesResponse?: { service?: { name: string }[] } }) => {
          resolve((res.listServicesResponse?.service ?? []).map((s) => s.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ listServices: '' });
      }),
    close: () => [jobs, health, reflection].forEach((c) => c.close()),
  };
}

/** Every event of a WatchJob stream until it ends. */
export async function collect(stream: ClientReadableStream<any>): Promise<any[]> {
  const events: any[] = [];
  for await (const e of stream) events.push(e);
  return events;
}
