/** A small client of the jobplane REST API: bearer auth, JSON in and out, problem+json as ApiError. */

export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  code?: string;
  errors?: { path: string; message: string }[];
}

/** The API answered with an error status; `problem` is its problem+json body when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(
      [problem.title ?? `HTTP ${status}`, problem.detail].filter(Boolean).join(': ') +
        (problem.errors?.length
          ? `\n${problem.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`
          : ''),
    );
  }
}

/** The API could not be reached at all (connection refused, reset, DNS). */
export class NetworkError extends Error {}

export class Client {
  constructor(
    readonly baseUrl: string,
    private readonly key: string | undefined,
  ) {}

  /** The raw response of a request; throws NetworkError only. */
  async fetch(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new NetworkError(`cannot reach the API at ${this.baseUrl}: ${cause}`);
    }
  }

  /** JSON body of a 2xx answer; ApiError otherwise. */
  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.fetch(method, path, { body, ...(headers ? { headers } : {}) });
    return (await readJson(res)) as T;
  }
}

export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = undefined;
  }
  if (!res.ok)
    throw new ApiError(res.status, (parsed as Problem | undefined) ?? { title: text.slice(0, 200) });
  return parsed;
}
