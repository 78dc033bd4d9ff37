import { pathToFileURL } from 'node:url';
import { AnyHandlerDefinition, NonRetryableError } from '../handler';
import { ISOLATE_ERRORS } from './protocol';

function isDefinition(value: unknown, type: string): value is AnyHandlerDefinition {
  const v = value as Partial<AnyHandlerDefinition> | null;
  return typeof v === 'object' && v !== null && v.type === type && typeof v.handle === 'function';
}

/**
 * Imports `module` (path or file URL; CommonJS or ESM) and finds the exported definition of `type`
 * among its exports, its default export and arrays of definitions it exports.
 */
export async function loadDefinition(module: string, type: string): Promise<AnyHandlerDefinition> {
  const url = module.startsWith('file:') ? module : pathToFileURL(module).href;
  const ns = (await import(url)) as Record<string, unknown>;
  const values = Object.values(ns);
  if (ns.default && typeof ns.default === 'object') values.push(...Object.values(ns.default));
  const found = values.flatMap((v) => (Array.isArray(v) ? v : [v])).find((v) => isDefinition(v, type));
  if (!found) {
    throw new NonRetryableError(
      `module ${module} exports no handler definition for "${type}"`,
      ISOLATE_ERRORS.handlerNotFound,
    );
  }
  return found;
}
