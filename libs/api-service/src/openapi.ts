import { z } from 'zod';
import {
  jobPageSchema,
  jobEventViewSchema,
  jobViewSchema,
  cancelJobRequestSchema,
  submitJobRequestSchema,
} from '@jobplane/contracts';
import { jobEventStreamContent, jobEventStreamParameters, liveOpenApiPaths } from './events/live-openapi';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const problem = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'jobplane API', version, description: 'Submit, watch, cancel and retry jobs.' },
    paths: {
      ...liveOpenApiPaths,
      '/v1/jobs': {
        post: {
          operationId: 'submitJob',
          summary: 'Submit a job',
          requestBody: { required: true, content: json('SubmitJobRequest') },
          responses: {
            '201': { description: 'Created', content: json('Job') },
            '200': {
              description: 'A job with this idempotency key exists; it is returned',
              content: json('Job'),
            },
            '400': problem,
            '413': problem,
          },
        },
        get: {
          operationId: 'listJobs',
          summary: 'List jobs, newest first (cursor paging)',
          parameters: ['state', 'type', 'pool', 'cursor', 'limit'].map((name) => ({
            name,
            in: 'query',
            required: false,
            schema: { type: name === 'limit' ? 'integer' : 'string' },
          })),
          responses: { '200': { description: 'A page', content: json('JobPage') }, '400': problem },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          operationId: 'getJob',
          parameters: [idParam],
          responses: { '200': { description: 'The job', content: json('Job') }, '404': problem },
        },
      },
      '/v1/jobs/{id}/events': {
        get: {
          operationId: 'listJobEvents',
          summary: "The job's event history, in seq order (or live, as SSE)",
          parameters: [idParam, ...jobEventStreamParameters],
          responses: {
            '200': {
              description: 'Events',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { $ref: '#/components/schemas/JobEvent' } },
                    },
                  },
                },
                ...jobEventStreamContent,
              },
            },
            '404': problem,
          },
        },
      },
      '/v1/jobs/{id}:cancel': {
        post: {
          operationId: 'cancelJob',
          summary: 'Cancel a job: a queued job is cancelled at once, a running one is signalled',
          parameters: [idParam],
          requestBody: { required: false, content: json('CancelJobRequest') },
          responses: {
            '202': { description: 'Cancel recorded', content: json('Job') },
            '404': problem,
            '409': problem,
          },
        },
      },
      '/health/live': {
        get: { operationId: 'live', responses: { '200': { description: 'Process is alive' } } },
      },
      '/health/ready': {
        get: {
          operationId: 'ready',
          responses: {
            '200': { description: 'Dependencies answer' },
            '503': { description: 'A dependency is down' },
          },
        },
      },
    },
    components: {
      schemas: {
        SubmitJobRequest: schema(submitJobRequestSchema, 'input'),
        CancelJobRequest: schema(cancelJobRequestSchema, 'input'),
        Job: schema(jobViewSchema),
        JobPage: schema(jobPageSchema),
        JobEvent: schema(jobEventViewSchema),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
