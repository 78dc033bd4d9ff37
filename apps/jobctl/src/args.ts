import { parseArgs, ParseArgsConfig } from 'node:util';

/** Command-line parsing with node:util parseArgs: global options, then one command's own. */

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export const GLOBAL_OPTIONS: Options = {
  api: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Bad usage: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export interface GlobalSettings {
  api: string;
  key: string | undefined;
  json: boolean;
}

export interface ParsedCommand {
  command: string | undefined;
  positionals: string[];
  values: Values;
  global: GlobalSettings;
}

/** argv without node and the script; `commandOptions(name)` gives a command's options. */
export function parseCommandLine(
  argv: string[],
  env: Record<string, string | undefined>,
  commandOptions: (name: string) => Options | undefined,
): ParsedCommand {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const own = command ? commandOptions(command) : {};
  if (command && !own) throw new UsageError(`unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({
      args: command ? argv.slice(1) : argv,
      options: { ...GLOBAL_OPTIONS, ...own },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Values;
  const api = (values.api as string | undefined) ?? env.JOBPLANE_API_URL ?? DEFAULT_API_URL;
  try {
    new URL(api);
  } catch {
    throw new UsageError(`--api: "${api}" is not a URL`);
  }
  return {
    command,
    positionals: parsed.positionals,
    values,
    global: {
      api,
      key: (values.key as string | undefined) ?? env.JOBPLANE_API_KEY,
      json: values.json === true,
    },
  };
}

/** An integer option within bounds, or the default. */
export function intOption(values: Values, name: string, dflt: number | undefined, min: number, max: number) {
  const raw = values[name];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

/** `k=v` pairs of a repeatable option as a record. */
export function keyValues(values: Values, name: string): Record<string, string> | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of Array.isArray(raw) ? raw : [String(raw)]) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name}: expected key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Exactly `n` positionals, named for the usage message. */
export function positionals(p: string[], names: string[]): string[] {
  if (p.length !== names.length)
    throw new UsageError(
      `expected ${names.map((n) => n.toUpperCase()).join(' ') || 'no arguments'}, got ${p.length} argument(s)`,
    );
  return p;
}
