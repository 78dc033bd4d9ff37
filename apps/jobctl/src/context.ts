import type { Options, Values } from './args';
import { Client } from './client';

/** What a command gets: the API client and where and how to print. */
export interface Context {
  client: Client;
  json: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** One result: `human` text by default, `json` as one line of JSON with --json. */
  print(human: string, json: unknown): void;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: Options;
  /** Resolves to the exit code. */
  run(ctx: Context, positionals: string[], values: Values): Promise<number>;
}

export function createContext(client: Client, json: boolean): Context {
  return {
    client,
    json,
    stdout: process.stdout,
    stderr: process.stderr,
    print(human, value) {
      process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
    },
  };
}
