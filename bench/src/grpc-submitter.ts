import { Client, credentials, loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { JOBS_PROTO_PATH, PROTO_LOADER_OPTIONS, toProtoValue } from '@jobplane/contracts';

type Unary = (
  req: unknown,
  md: Metadata,
  cb: (err: ServiceError | null, res: SubmitJobsResponse) => void,
) => void;
interface SubmitJobsResponse {
  results?: { job?: { id: string }; errorCode?: string; errorMessage?: string }[];
}

/** The burst over gRPC: `SubmitJobs` batches of up to 1,000, 4 in flight (as the REST submitter). */
export class GrpcSubmitter {
  private readonly client: Client & { SubmitJobs: Unary };

  constructor(
    address: string,
    private readonly apiKey: string,
  ) {
    const pkg = loadPackageDefinition(loadSync(JOBS_PROTO_PATH, PROTO_LOADER_OPTIONS)) as unknown as {
      jobplane: {
        v1: { JobService: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client };
      };
    };
    this.client = new pkg.jobplane.v1.JobService(address, credentials.createInsecure()) as Client & {
      SubmitJobs: Unary;
    };
  }

  async many(jobs: { type: string; payload: unknown; labels: Record<string, string> }[]): Promise<string[]> {
    const messages = jobs.map((j) => ({ type: j.type, payload: toProtoValue(j.payload), labels: j.labels }));
    const chunks: (typeof messages)[] = [];
    for (let i = 0; i < messages.length; i += 1000) chunks.push(messages.slice(i, i + 1000));
    const ids: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < chunks.length) ids.push(...(await this.submitBatch(chunks[next++]!)));
    };
    await Promise.all(Array.from({ length: 4 }, lane));
    return ids;
  }

  close(): void {
    this.client.close();
  }

  private submitBatch(jobs: unknown[]): Promise<string[]> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.apiKey}`);
    return new Promise((resolve, reject) =>
      this.client.SubmitJobs({ jobs }, md, (err, res) => {
        if (err) return reject(err);
        const results = res.results ?? [];
        const bad = results.find((r) => !r.job);
        if (bad || results.length !== jobs.length)
          return reject(new Error(`SubmitJobs refused: ${bad?.errorCode} ${bad?.errorMessage}`));
        resolve(results.map((r) => r.job!.id));
      }),
    );
  }
}
