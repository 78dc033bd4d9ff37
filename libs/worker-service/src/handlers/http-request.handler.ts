import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { request as httpRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { z } from 'zod';
import { HandlerDefinition, NonRetryableError, RetryableError } from '../handler';
import { HostAllowlist, nonPublicReason } from './address-policy';

/** Headers the handler sets itself (framing, routing); a payload may not override them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

const payloadSchema = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  url: z.url({ protocol: /^https?$/ }),
  headers: z
    .record(z.string().min(1).max(200), z.string().max(8192))
    .default({})
    .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), {
      message: `may not set ${[...RESERVED_HEADERS].join(', ')}`,
    }),
  /** A string is sent as is; any other JSON value is sent as application/json. */
  body: z.json().optional(),
  timeoutMs: z.number().int().min(1).max(300_000).default(30_000),
  /** Each hop is checked like the first; 0 returns the 3xx response itself. */
  maxRedirects: z.number().int().min(0).max(10).default(5),
  /** false: a 4xx/5xx response is a result rather than a failure. */
  failOnHttpError: z.boolean().default(true),
});
export type HttpRequestPayload = z.output<typeof payloadSchema>;

export interface HttpRequestOptions {
  /** HTTP_REQUEST_ALLOW_HOSTS entries. */
  allowHosts?: readonly string[];
  /** Larger bodies are cut off (`truncated: true`). */
  maxResponseBytes?: number;
  /** DNS resolution (tests replace it). */
  lookup?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface HttpResponseResult {
  status: number;
  headers: Record<string, string | string[]>;
  /** Parsed JSON for JSON responses, text for textual ones, base64 otherwise. */
  body: unknown;
  bodyEncoding: 'json' | 'text' | 'base64';
  truncated: boolean;
  url: string;
  address: string;
  redirects: number;
  durationMs: number;
}

const systemLookup = (hostname: string) =>
  new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/**
 * Makes one HTTP(S) request. SSRF guard: the host is resolved first and every address it resolves
 * to must be public (or allowlisted); the connection is then pinned to the checked address through
 * the socket's `lookup`, so a second, different DNS answer (rebinding) is never used. Redirects are
 * followed hop by hop, each checked the same way.
 *
 * Failures: 5xx and 429 are retryable, other 4xx are not; timeouts and connection errors are retryable.
 */
export function httpRequestHandler(options: HttpRequestOptions = {}): HandlerDefinition<HttpRequestPayload> {
  const allow = new HostAllowlist(options.allowHosts ?? []);
  const resolve = options.lookup ?? systemLookup;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  return {
    type: 'http.request',
    payload: payloadSchema,
    handle: async ({ payload, signal: jobSignal }) => {
      const started = Date.now();
      const signal = AbortSignal.any([jobSignal, AbortSignal.timeout(payload.timeoutMs)]);
      let url = new URL(payload.url);
      let method = payload.method;
      let body = encodeBody(payload.body);
      const headers: Record<string, string> = { ...payload.headers };
      if (
        body &&
        payload.body !== undefined &&
        typeof payload.body !== 'string' &&
        !hasHeader(headers, 'content-type')
      )
        headers['content-type'] = 'application/json';
      for (let redirects = 0; ; redirects++) {
        const address = await vet(url, allow, resolve);
        let res: IncomingMessage;
        try {
          res = await send(url, address, method, headers, body, signal);
        } catch (err) {
          throw failure(err, jobSignal, payload.timeoutMs, url);
        }
        const location = res.headers.location;
        if (isRedirect(res.statusCode) && location && redirects < payload.maxRedirects) {
          res.resume();
          const next = new URL(location, url);
          if (next.protocol !== 'http:' && next.protocol !== 'https:')
            throw new NonRetryableError(`redirect to unsupported URL ${next.href}`, 'http_redirect_refused');
          if (next.origin !== url.origin) stripCredentials(headers);
          if (
            res.statusCode === 303 ||
            ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')
          ) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            dropHeader(headers, 'content-type');
          }
          url = next;
          continue;
        }
        let read: { body: unknown; bodyEncoding: HttpResponseResult['bodyEncoding']; truncated: boolean };
        try {
          read = await readBody(res, maxBytes);
        } catch (err) {
          throw failure(err, jobSignal, payload.timeoutMs, url);
        }
        const result: HttpResponseResult = {
          status: res.statusCode ?? 0,
          headers: flatHeaders(res),
          ...read,
          url: url.href,
          address,
          redirects,
          durationMs: Date.now() - started,
        };
        if (payload.failOnHttpError && result.status >= 400) throw statusError(result);
        return result;
      }
    },
  };
}

/** The one address the connection will use, after checking every address the host resolves to. */
async function vet(
  url: URL,
  allow: HostAllowlist,
  resolve: (hostname: string) => Promise<LookupAddress[]>,
): Promise<string> {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(hostname)) addresses = [hostname];
  else {
    try {
      addresses = (await resolve(hostname)).map((a) => a.address);
    } catch (err) {
      throw new RetryableError(`cannot resolve ${hostname}: ${(err as Error).message}`, 'http_dns_failed');
    }
    if (addresses.length === 0) throw new RetryableError(`${hostname} has no addresses`, 'http_dns_failed');
  }
  if (allow.allowsName(hostname)) return addresses[0]!;
  for (const address of addresses) {
    const reason = nonPublicReason(address);
    if (reason && !allow.allowsAddress(address)) {
      const via = address === hostname ? '' : ` (${hostname} resolves to it)`;
      throw new NonRetryableError(
        `refusing to connect to ${address}${via}: ${reason} address; list the host or address in HTTP_REQUEST_ALLOW_HOSTS to allow it`,
        'http_address_refused',
        { host: hostname, address, reason },
      );
    }
  }
  return addresses[0]!;
}

function send(
  url: URL,
  address: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  // The socket connects to the vetted address whatever DNS says now; TLS still checks the host name.
  const pinned: LookupFunction = (_host, opts, cb) => {
    const fam = isIP(address);
    if ((opts as { all?: boolean }).all)
      (cb as (e: null, a: LookupAddress[]) => void)(null, [{ address, family: fam }]);
    else cb(null, address, fam);
  };
  const outgoing: OutgoingHttpHeaders = { ...headers, ...(body ? { 'content-length': body.length } : {}) };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method, headers: outgoing, lookup: pinned, signal, agent: false },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function readBody(res: IncomingMessage, maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      res.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  const raw = Buffer.concat(chunks);
  const type = String(res.headers['content-type'] ?? '').toLowerCase();
  if (!truncated && /[/+]json\b/.test(type)) {
    try {
      return { body: JSON.parse(raw.toString('utf8')) as unknown, bodyEncoding: 'json' as const, truncated };
    } catch {
      // a server that says JSON and sends something else: hand back the text
    }
  }
  if (type === '' || /^text\/|[/+](json|xml)\b|javascript|x-www-form-urlencoded/.test(type))
    return { body: raw.toString('utf8'), bodyEncoding: 'text' as const, truncated };
  return { body: raw.toString('base64'), bodyEncoding: 'base64' as const, truncated };
}

function statusError(r: HttpResponseResult): Error {
  const details = { status: r.status, url: r.url, body: preview(r.body) };
  const message = `${r.url} answered ${r.status}`;
  return r.status >= 500 || r.status === 429
    ? new RetryableError(message, 'http_status', details)
    : new NonRetryableError(message, 'http_status', details);
}

function failure(err: unknown, jobSignal: AbortSignal, timeoutMs: number, url: URL): unknown {
  if (jobSignal.aborted) return jobSignal.reason;
  const e = err as NodeJS.ErrnoException;
  if (e.name === 'AbortError' || e.name === 'TimeoutError')
    return new RetryableError(`${url.href} did not answer within ${timeoutMs} ms`, 'http_timeout');
  return new RetryableError(`${url.href}: ${e.message}`, 'http_connection_failed', { cause: e.code ?? null });
}

const preview = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 1000);
const isRedirect = (status?: number) => status !== undefined && [301, 302, 303, 307, 308].includes(status);

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

const hasHeader = (h: Record<string, string>, name: string) =>
  Object.keys(h).some((k) => k.toLowerCase() === name);

function dropHeader(h: Record<string, string>, name: string): void {
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) delete h[k];
}

/** Credentials meant for one origin never follow a redirect to another. */
function stripCredentials(h: Record<string, string>): void {
  for (const name of ['authorization', 'cookie', 'proxy-authorization']) dropHeader(h, name);
}

function flatHeaders(res: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = v;
  return out;
}
