import { ERROR_CODES } from '@jobplane/contracts';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem } from './problems';

/** One static file of the console, read once at start (a few files, ~40 KiB in all). */
export interface ConsoleAsset {
  body: Buffer;
  gzip: Buffer | null;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Content-hashed names (`main-NYE4HQLN.js`) never change content: cache them for a year. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;

/**
 * The console's pages use only same-origin scripts, styles, fetch and EventSource; nothing inline,
 * so a strict policy costs nothing and blunts any injected markup.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

export function loadConsoleAssets(dir: string): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(contentType);
    const gzip = compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : null;
    assets.set(name, {
      body,
      gzip,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return assets;
}

/**
 * Serves the console at `base` (e.g. /console): its files, and index.html for every other path
 * without a file extension (the SPA's own routes, e.g. /console/jobs/<id>). These routes are plain
 * Fastify routes, outside Nest's guards: the files are public; the JSON API they call is not.
 */
export function registerConsoleRoutes(fastify: FastifyInstance, base: string, dir: string): boolean {
  const assets = loadConsoleAssets(dir);
  const index = assets.get('index.html');
  if (!index) return false;
  fastify.get(base, (_req, reply) => reply.redirect(`${base}/`, 301));
  fastify.get(`${base}/*`, (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
    const rest = request.params['*'];
    const asset = assets.get(rest) ?? (rest.includes('.') ? undefined : index);
    if (!asset) throw new ApiProblem(404, ERROR_CODES.notFound, 'Not Found', `No console file ${rest}`);
    return sendAsset(request, reply, asset);
  });
  return true;
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset): FastifyReply {
  void reply
    .header('content-type', asset.contentType)
    .header('cache-control', asset.cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (asset.contentType.startsWith('text/html')) void reply.header('content-security-policy', CONSOLE_CSP);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (asset.gzip && acceptsGzip) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}
