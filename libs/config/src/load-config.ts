import { z } from 'zod';
import { VARIABLES, VariableName } from './variables';

type Values = { [K in VariableName]: z.output<(typeof VARIABLES)[K]['schema']> };

/** Thrown with every bad variable listed, so one start shows all problems. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads and validates configuration once, at start. `required` names variables this process cannot
 * run without (e.g. DATABASE_URL in distributed mode). Features read the typed result, never process.env.
 */
export function loadConfig<R extends VariableName = never>(
  env: NodeJS.ProcessEnv = process.env,
  options: { required?: readonly R[]; defaults?: Partial<Record<VariableName, string>> } = {},
): Values & { [K in R]-?: NonNullable<Values[K]> } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(VARIABLES) as [
    VariableName,
    (typeof VARIABLES)[VariableName],
  ][]) {
    const raw = env[name] === '' ? undefined : (env[name] ?? options.defaults?.[name]);
    if (raw === undefined && (options.required as readonly string[] | undefined)?.includes(name)) {
      problems.push(`${name} is required: ${variable.description}`);
      continue;
    }
    const schema = variable.schema as z.ZodType;
    const parsed =
      raw === undefined && !(schema instanceof z.ZodDefault)
        ? { success: true as const, data: undefined }
        : schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else
      problems.push(`${name}=${redact(name, raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Values & { [K in R]-?: NonNullable<Values[K]> };
}

export type Config = Values;

/** Hides credentials in a URL before it is printed. */
export function redact(name: string, raw: string | undefined): string {
  if (raw === undefined) return '(unset)';
  if (!/URL$/.test(name)) return JSON.stringify(raw);
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Parses WORKER_POOLS (`metal:1,cloud:10`). */
export function parsePools(spec: string): { pool: string; concurrency: number }[] {
  return spec.split(',').map((part) => {
    const [pool, n] = part.split(':');
    return { pool: pool!, concurrency: Number(n) };
  });
}

/** Connection settings of the job registry in distributed mode. */
export function postgresOptions(config: Config & { DATABASE_URL: string }) {
  return {
    kind: 'postgres' as const,
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE,
  };
}

/** The audit trail's own schema: AUDIT_DB_SCHEMA, else derived from the registry's (per test stack). */
export function auditSchemaOf(config: Pick<Config, 'AUDIT_DB_SCHEMA' | 'DATABASE_SCHEMA'>): string {
  if (config.AUDIT_DB_SCHEMA) return config.AUDIT_DB_SCHEMA;
  if (config.DATABASE_SCHEMA === 'public') return 'jobplane_audit';
  // Postgres truncates names at 63 bytes; cut the registry name so the suffix survives.
  return `${config.DATABASE_SCHEMA.slice(0, 63 - '_audit'.length)}_audit`;
}
