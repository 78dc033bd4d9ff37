/** A small JSON HTTP client for tests and tools (Node's fetch). */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  /** `apiKey` goes out as `Authorization: Bearer <key>` on every request. */
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  /** The same API as another caller (another key, or none). */
  as(apiKey: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, apiKey);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> {
    const auth: Record<string, string> = this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers:
        body === undefined
          ? { ...auth, ...headers }
          : { 'content-type': 'application/json', ...auth, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
}
