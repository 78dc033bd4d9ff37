import { parseCommandLine, UsageError } from './args';
import { ApiError, Client } from './client';
import { COMMANDS } from './commands';
import { Command, createContext } from './context';

const GLOBAL_HELP = `global options:
  --api URL    API base URL (env JOBPLANE_API_URL, default http://127.0.0.1:8080)
  --key KEY    API key, sent as Authorization: Bearer (env JOBPLANE_API_KEY)
  --json       machine-readable output (one JSON document per result)
  -h, --help   this help`;

export function help(command?: Command): string {
  if (command) return `usage: jobctl ${command.usage}\n\n${command.summary}\n\n${GLOBAL_HELP}\n`;
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return (
    `usage: jobctl COMMAND [options]\n\ncommands:\n` +
    COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n') +
    `\n\n${GLOBAL_HELP}\n\nrun "jobctl COMMAND --help" for a command's options\n`
  );
}

/** Runs jobctl; resolves to the exit code (0 ok, 1 failure or API error, 2 usage error). */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const find = (name: string) => COMMANDS.find((c) => c.name === name);
  let parsed;
  try {
    parsed = parseCommandLine(argv, env, (name) => find(name)?.options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`jobctl: ${err.message}\n\n${help()}`);
    return 2;
  }
  const command = parsed.command ? find(parsed.command) : undefined;
  if (!command || parsed.values.help) {
    process.stdout.write(help(command));
    return command || parsed.values.help ? 0 : 2;
  }
  const ctx = createContext(new Client(parsed.global.api, parsed.global.key), parsed.global.json);
  try {
    return await command.run(ctx, parsed.positionals, parsed.values);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`jobctl ${command.name}: ${err.message}\nusage: jobctl ${command.usage}\n`);
      return 2;
    }
    if (parsed.global.json && err instanceof ApiError)
      process.stdout.write(`${JSON.stringify({ error: { status: err.status, ...err.problem } })}\n`);
    const prefix = err instanceof ApiError ? `HTTP ${err.status} ` : '';
    process.stderr.write(
      `jobctl ${command.name}: ${prefix}${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
}
