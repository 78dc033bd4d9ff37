/** OpenAPI entries of the live surfaces (merged into the document by openapi.ts). */
const sse = (description: string) => ({
  'text/event-stream': { schema: { type: 'string', description } },
});

/** The SSE variant of `GET /v1/jobs/{id}/events` (same path, chosen by `Accept: text/event-stream`). */
export const jobEventStreamContent = sse(
  'With `Accept: text/event-stream`: `id: <seq>`, `event: <type>`, `data: <JobEvent JSON>` per event; ' +
    '`Last-Event-ID` (or `?lastEventId=`) resumes after that seq; closes after the terminal event.',
);

export const jobEventStreamParameters = [
  { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'integer', minimum: 0 } },
  { name: 'lastEventId', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
  { name: 'access_token', in: 'query', required: false, schema: { type: 'string' } },
];

export const liveOpenApiPaths = {
  '/v1/events': {
    get: {
      operationId: 'streamTenantEvents',
      summary: "The tenant's live job events (SSE, no replay), for dashboards",
      parameters: [
        { name: 'type', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'pool', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'access_token', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'An event stream',
          content: sse('`event: <type>`, `data: <JobEvent JSON plus jobType and pool>` per event'),
        },
        '400': {
          description: 'RFC 9457 problem details',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  },
};
