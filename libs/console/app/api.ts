/** The console's only way to the server: the public REST API with the user's API key. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }

  get status(): number {
    return this.problem.status;
  }
}

export class Api {
  constructor(
    private readonly key: string,
    /** Called on a 401: the key was revoked or expired while the console was open. */
    private readonly onUnauthenticated: () => void = () => undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.key}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError({ status: 0, title: 'The server cannot be reached' });
    }
    const text = await res.text();
    const json: unknown = text ? safeParse(text) : undefined;
    if (!res.ok) {
      const problem: Problem =
        json && typeof json === 'object'
          ? { ...(json as Problem), status: res.status }
          : { status: res.status };
      if (res.status === 401) this.onUnauthenticated();
      throw new ApiError(problem);
    }
    return json as T;
  }

  /** URL of an event stream: EventSource cannot send headers, so the key goes in the query. */
  streamUrl(path: string, params: Record<string, string | undefined> = {}): string {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, v);
    query.set('access_token', this.key);
    return `${path}?${query.toString()}`;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A short human message for an error, with a hint for the statuses people meet in the console. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const { problem } = err;
  const detail = problem.detail ?? problem.title ?? '';
  switch (problem.status) {
    case 0:
      return 'The server cannot be reached. Check your connection and try again.';
    case 403:
      return `Not allowed: this API key lacks the scope for that (${detail || 'forbidden'}).`;
    case 404:
      return detail || 'Not found.';
    case 429:
      return `Too many requests: ${detail || 'slow down and try again'}.`;
    default:
      return detail || `Request failed (HTTP ${problem.status}).`;
  }
}
