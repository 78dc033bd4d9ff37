import { readFileSync } from 'node:fs';

export interface PoolSpec {
  name: string;
  capacity: number;
  rate: { max: number; perMs: number } | null;
}

/**
 * Parses POOLS: `metal:capacity=2,cloud:capacity=5,rate=60/min`. A token with `:` starts a pool;
 * tokens after it (`key=value`) belong to that pool. Throws a readable error on anything else.
 */
export function parsePoolSpecs(spec: string, defaultCapacity: number): PoolSpec[] {
  const pools: PoolSpec[] = [];
  for (const raw of spec
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    let token = raw;
    if (raw.includes(':')) {
      const [name, rest] = raw.split(':', 2) as [string, string];
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name))
        throw new Error(`POOLS: "${name}" is not a valid pool name`);
      pools.push({ name, capacity: defaultCapacity, rate: null });
      token = rest;
      if (!token) continue;
    }
    const pool = pools[pools.length - 1];
    if (!pool) throw new Error(`POOLS: "${raw}" comes before any pool name (expected name:key=value)`);
    const [key, value = ''] = token.split('=', 2);
    if (key === 'capacity' && /^[0-9]+$/.test(value)) pool.capacity = Number(value);
    else if (key === 'rate') {
      const m = /^([1-9][0-9]*)\/(ms|s|sec|m|min|h)$/.exec(value);
      if (!m) throw new Error(`POOLS: rate "${value}" must look like 10/s, 60/min or 1000/h`);
      const unit: Record<string, number> = {
        ms: 1,
        s: 1000,
        sec: 1000,
        m: 60_000,
        min: 60_000,
        h: 3_600_000,
      };
      pool.rate = { max: Number(m[1]), perMs: unit[m[2]!]! };
    } else throw new Error(`POOLS: "${token}" is not capacity=N or rate=N/unit`);
  }
  return pools;
}

/** Parses TENANT_WEIGHTS (`acme:3,beta:1`). */
export function parseTenantWeights(spec: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    weights[part.slice(0, i)] = Number(part.slice(i + 1));
  }
  return weights;
}

/**
 * Reads pools from a YAML file, e.g.
 * ```yaml
 * pools:
 *   metal: { capacity: 2 }
 *   cloud: { capacity: 5, rate: 60/min }
 * ```
 * Throws an error naming the file and the bad entry.
 */
export function readPoolsFile(path: string, defaultCapacity: number): PoolSpec[] {
  let doc: unknown;
  try {
    // Loaded only when a file is configured: most processes never need a YAML parser in memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse } = require('yaml') as typeof import('yaml');
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`POOLS_FILE ${path}: ${(err as Error).message}`);
  }
  const pools = (doc as { pools?: unknown } | null)?.pools;
  if (!pools || typeof pools !== 'object' || Array.isArray(pools))
    throw new Error(`POOLS_FILE ${path}: expected a "pools:" map of name -> {capacity, rate}`);
  const scalar = (v: unknown) =>
    typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  const spec = Object.entries(pools as Record<string, { capacity?: unknown; rate?: unknown } | null>)
    .map(([name, p]) =>
      [
        `${name}:`,
        p?.capacity !== undefined ? `capacity=${scalar(p.capacity)}` : '',
        p?.rate !== undefined ? `rate=${scalar(p.rate)}` : '',
      ]
        .filter(Boolean)
        .join(','),
    )
    .join(',')
    .replace(/:,/g, ':');
  try {
    return parsePoolSpecs(spec, defaultCapacity);
  } catch (err) {
    throw new Error(`POOLS_FILE ${path}: ${(err as Error).message.replace(/^POOLS: /, '')}`);
  }
}

/** Pools from POOLS_FILE, then POOLS (a pool named in both takes the POOLS settings). */
export function configuredPools(config: {
  POOLS: string;
  POOLS_FILE?: string | undefined;
  DEFAULT_POOL_CAPACITY: number;
}): PoolSpec[] {
  const byName = new Map<string, PoolSpec>();
  if (config.POOLS_FILE)
    for (const p of readPoolsFile(config.POOLS_FILE, config.DEFAULT_POOL_CAPACITY)) byName.set(p.name, p);
  for (const p of parsePoolSpecs(config.POOLS, config.DEFAULT_POOL_CAPACITY)) byName.set(p.name, p);
  return [...byName.values()];
}

/** Parses TENANT_MAX_IN_FLIGHT (`*:50,acme:200`) into a lookup; undefined = no quota. */
export function tenantQuotas(spec: string): (tenant: string) => number | undefined {
  const quotas = parseTenantWeights(spec);
  return (tenant) => quotas[tenant] ?? quotas['*'];
}
