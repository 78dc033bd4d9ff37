/** OpenAPI entries of the fleet views (merged into the document by openapi.ts, scope `jobs:read`). */
const listOf = (name: string, description: string) => ({
  '200': {
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${name}` } } },
        },
      },
    },
  },
});

export const fleetOpenApiPaths = {
  '/v1/workers': {
    get: {
      operationId: 'listWorkers',
      summary: 'Workers as their heartbeats describe them: state, pools with busy slots, handlers',
      responses: listOf('Worker', 'Workers (offline ones until WORKER_PRUNE_AFTER_MS has passed)'),
    },
  },
  '/v1/handlers': {
    get: {
      operationId: 'listHandlers',
      summary: 'The handler registry: declared defaults and payload JSON Schema per job type',
      responses: listOf('Handler', 'Handler types workers have declared'),
    },
  },
};
