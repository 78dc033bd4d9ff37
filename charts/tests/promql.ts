import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support';

/** The metric families docs/metrics.md documents (its table), the list the services are checked against. */
export function documentedFamilies(): Map<string, string> {
  const text = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
  return new Map(
    [...text.matchAll(/^\|\s*`(jobplane_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|/gm)].map((m) => [m[1]!, m[2]!]),
  );
}

/** prom-client's default process metrics, exported by every service with the jobplane_ prefix. */
export const PROCESS_METRIC = /^jobplane_(process|nodejs)_[a-z0-9_]+$/;

/**
 * Metric names a PromQL expression selects: identifiers followed by a label matcher or a range,
 * and every `jobplane_*` token (a bare `jobplane_x > 1` too). Quoted strings are dropped first so
 * label values never count.
 */
export function metricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const selected = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)/g)].map((m) => m[1]!);
  const prefixed = [...bare.matchAll(/\b(jobplane_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
  return [...new Set([...selected, ...prefixed])];
}

/** The family a series name belongs to (`x_bucket` of histogram `x` is `x`). */
export function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.get(base) === 'histogram' ? base : undefined;
}
