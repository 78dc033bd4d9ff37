import { z } from 'zod';
import { VARIABLES } from './variables';

function defaultOf(schema: z.ZodType): string {
  if (schema instanceof z.ZodDefault) {
    const v = (schema as z.ZodDefault<z.ZodType>).def.defaultValue;
    return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
  }
  return '—';
}

/** Markdown for docs/configuration.md, generated from the variables table. */
export function renderConfigDocs(): string {
  const rows = Object.entries(VARIABLES).map(
    ([name, v]) =>
      `| \`${name}\` | ${defaultOf(v.schema as z.ZodType)} | ${v.services.join(', ')} | ${v.description} |`,
  );
  return [
    '# Configuration',
    '',
    'Generated from `libs/config/src/variables.ts` by `pnpm docs:config`; a test fails when this file is stale.',
    'Every process validates its variables once at start and lists every bad value in one error.',
    '',
    '| variable | default | read by | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
