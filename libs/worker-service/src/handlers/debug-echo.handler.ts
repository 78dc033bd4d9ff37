import type { HandlerDefinition } from '../handler';

/** Returns its payload: the smallest possible job, for smoke tests and benchmarks. */
export const debugEchoHandler: HandlerDefinition = {
  type: 'debug.echo',
  handle: async ({ payload }) => payload,
};
