import { z } from 'zod';
import {
  apiKeyViewSchema,
  auditRecordViewSchema,
  auditVerificationSchema,
  cancelJobRequestSchema,
  createApiKeyRequestSchema,
  createdApiKeySchema,
  createScheduleRequestSchema,
  handlerViewSchema,
  jobEventViewSchema,
  jobPageSchema,
  jobViewSchema,
  patchPoolRequestSchema,
  patchScheduleRequestSchema,
  poolViewSchema,
  retryJobRequestSchema,
  scheduleViewSchema,
  SCOPES,
  submitJobRequestSchema,
  submitJobsRequestSchema,
  submitJobsResponseSchema,
  workerViewSchema,
} from '@jobplane/contracts';
import { fleetOpenApiPaths } from './fleet-openapi';
import { jobEventStreamContent, jobEventStreamParameters, liveOpenApiPaths } from './events/live-openapi';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const ok = (description: string, name?: string) =>
  name ? { description, content: json(name) } : { description };
const list = (name: string) => ({
  'application/json': {
    schema: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: ref(name) } },
    },
  },
});
const problemRef = (status: string) => ({ $ref: `#/components/responses/${status}` });
/** Answers every authenticated operation may give. */
const guarded = { '401': problemRef('401'), '403': problemRef('403'), '429': problemRef('429') };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const query = (name: string, s: Record<string, unknown>, description?: string) => ({
  name,
  in: 'query',
  required: false,
  schema: s,
  ...(description ? { description } : {}),
});

interface Operation {
  operationId: string;
  summary: string;
  scope: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** An authenticated operation: its scope is stated and the bearer scheme applies. */
const op = ({ scope, responses, ...rest }: Operation) => ({
  ...rest,
  description: `Requires the \`${scope}\` scope (or \`admin\`).`,
  security: [{ apiKey: [] }],
  responses: { ...responses, ...guarded },
});

const body = (name: string, required = true) => ({ required, content: json(name) });

/** Paths written elsewhere (the live surfaces), given the same scope, scheme and guard answers. */
function authenticated(
  paths: Record<string, Record<string, Omit<Operation, 'scope'>>>,
  scope: string,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, ops]) => [
      path,
      Object.fromEntries(Object.entries(ops).map(([method, o]) => [method, op({ ...o, scope })])),
    ]),
  );
}

function jobPaths() {
  return {
    '/v1/jobs': {
      post: op({
        operationId: 'submitJob',
        summary: 'Submit a job',
        scope: 'jobs:write',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', maxLength: 200 },
            description:
              'Same key and body within 24 h returns the first job (200); a different body is a 409. Same as the body field `idempotencyKey`.',
          },
        ],
        requestBody: body('SubmitJobRequest'),
        responses: {
          '201': ok('Created', 'Job'),
          '200': ok('The job this idempotency key created earlier', 'Job'),
          '400': problemRef('400'),
          '409': problemRef('409'),
          '413': problemRef('413'),
        },
      }),
      get: op({
        operationId: 'listJobs',
        summary: 'List jobs, newest first (cursor paging, stable under inserts)',
        scope: 'jobs:read',
        parameters: [
          query('state', {
            type: 'string',
            enum: ['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled'],
          }),
          query('type', { type: 'string' }),
          query('pool', { type: 'string' }),
          query(
            'label',
            { type: 'array', items: { type: 'string' } },
            '`key:value`; repeat to require several',
          ),
          query('createdAfter', { type: 'string', format: 'date-time' }),
          query('createdBefore', { type: 'string', format: 'date-time' }),
          query('cursor', { type: 'string' }, 'the `nextCursor` of the previous page'),
          query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
        ],
        responses: { '200': ok('A page', 'JobPage'), '400': problemRef('400') },
      }),
    },
    '/v1/jobs:batch': {
      post: op({
        operationId: 'submitJobs',
        summary: 'Submit up to 1,000 jobs; each item is validated and answered on its own',
        scope: 'jobs:write',
        requestBody: body('SubmitJobsRequest'),
        responses: {
          '200': ok('One answer per job, in request order', 'SubmitJobsResponse'),
          '400': problemRef('400'),
          '413': problemRef('413'),
        },
      }),
    },
    '/v1/jobs/{id}': {
      get: op({
        operationId: 'getJob',
        summary: 'A job (a queued one says why it waits)',
        scope: 'jobs:read',
        parameters: [idParam],
        responses: { '200': ok('The job', 'Job'), '404': problemRef('404') },
      }),
    },
    '/v1/jobs/{id}/events': {
      get: op({
        operationId: 'listJobEvents',
        summary: "The job's event history, in seq order (or live, as SSE)",
        scope: 'jobs:read',
        parameters: [idParam, ...jobEventStreamParameters],
        responses: {
          '200': { description: 'Events', content: { ...list('JobEvent'), ...jobEventStreamContent } },
          '404': problemRef('404'),
        },
      }),
    },
    '/v1/jobs/{id}/result': {
      get: op({
        operationId: 'getJobResult',
        summary:
          "The succeeded job's result JSON, also when it is too big to be on the job (see `resultRef`)",
        scope: 'jobs:read',
        parameters: [idParam],
        responses: {
          '200': {
            description: 'The result, as the handler returned it',
            content: { 'application/json': {} },
          },
          '404': problemRef('404'),
        },
      }),
    },
    '/v1/jobs/{id}:cancel': {
      post: op({
        operationId: 'cancelJob',
        summary: 'Cancel a job: a queued job is cancelled at once, a running one is signalled',
        scope: 'jobs:write',
        parameters: [idParam],
        requestBody: body('CancelJobRequest', false),
        responses: {
          '202': ok('Cancel recorded', 'Job'),
          '404': problemRef('404'),
          '409': problemRef('409'),
        },
      }),
    },
    '/v1/jobs/{id}:retry': {
      post: op({
        operationId: 'retryJob',
        summary: 'Re-queue a failed, timed-out or cancelled job as a new attempt',
        scope: 'jobs:write',
        parameters: [idParam],
        requestBody: body('RetryJobRequest', false),
        responses: { '202': ok('Re-queued', 'Job'), '404': problemRef('404'), '409': problemRef('409') },
      }),
    },
  };
}

const auditFilters = [
  query('jobId', { type: 'string', format: 'uuid' }),
  query('actor', { type: 'string' }, 'an API key id, `worker:<id>` or `system`'),
  query('type', { type: 'string' }, '`job.<event>` or `admin.<action>`'),
  query('from', { type: 'string', format: 'date-time' }),
  query('to', { type: 'string', format: 'date-time' }),
];

function auditPaths() {
  return {
    '/v1/audit/records': {
      get: op({
        operationId: 'listAuditRecords',
        summary: "The tenant's audit trail, oldest first (cursor paging)",
        scope: 'audit:read',
        parameters: [
          ...auditFilters,
          query('cursor', { type: 'string' }, 'the `nextCursor` of the previous page'),
          query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
        ],
        responses: { '200': ok('A page', 'AuditPage'), '400': problemRef('400') },
      }),
    },
    '/v1/audit/verify': {
      get: op({
        operationId: 'verifyAuditTrail',
        summary: "Recomputes the tenant's hash chain and names the first broken link",
        scope: 'audit:read',
        responses: { '200': ok('The verification', 'AuditVerification') },
      }),
    },
    '/v1/audit/export': {
      get: op({
        operationId: 'exportAuditTrail',
        summary: 'Every matching record as JSON lines, streamed (for archival)',
        scope: 'audit:read',
        parameters: auditFilters,
        responses: {
          '200': {
            description: 'One AuditRecord per line',
            content: { 'application/x-ndjson': { schema: ref('AuditRecord') } },
          },
          '400': problemRef('400'),
        },
      }),
    },
  };
}

function adminPaths() {
  const poolParam = { name: 'pool', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/v1/pools': {
      get: op({
        operationId: 'listPools',
        summary: 'Pools with capacity, rate, pause and load',
        scope: 'jobs:read',
        responses: { '200': { description: 'Pools', content: list('Pool') } },
      }),
    },
    '/v1/pools/{pool}': {
      get: op({
        operationId: 'getPool',
        summary: 'One pool',
        scope: 'jobs:read',
        parameters: [poolParam],
        responses: { '200': ok('The pool', 'Pool'), '400': problemRef('400') },
      }),
      patch: op({
        operationId: 'patchPool',
        summary: 'Change capacity, rate or pause',
        scope: 'admin',
        parameters: [poolParam],
        requestBody: body('PatchPoolRequest'),
        responses: { '200': ok('The pool', 'Pool'), '400': problemRef('400') },
      }),
    },
    '/v1/schedules': {
      post: op({
        operationId: 'createSchedule',
        summary: 'Create a cron or every-N-seconds schedule',
        scope: 'jobs:write',
        requestBody: body('CreateScheduleRequest'),
        responses: { '201': ok('Created', 'Schedule'), '400': problemRef('400') },
      }),
      get: op({
        operationId: 'listSchedules',
        summary: "The tenant's schedules",
        scope: 'jobs:read',
        responses: { '200': { description: 'Schedules', content: list('Schedule') } },
      }),
    },
    '/v1/schedules/{id}': {
      get: op({
        operationId: 'getSchedule',
        summary: 'One schedule with its next runs',
        scope: 'jobs:read',
        parameters: [idParam],
        responses: { '200': ok('The schedule', 'Schedule'), '404': problemRef('404') },
      }),
      patch: op({
        operationId: 'patchSchedule',
        summary: 'Change or pause a schedule',
        scope: 'jobs:write',
        parameters: [idParam],
        requestBody: body('PatchScheduleRequest'),
        responses: {
          '200': ok('The schedule', 'Schedule'),
          '400': problemRef('400'),
          '404': problemRef('404'),
        },
      }),
      delete: op({
        operationId: 'deleteSchedule',
        summary: 'Delete a schedule',
        scope: 'jobs:write',
        parameters: [idParam],
        responses: { '204': ok('Deleted'), '404': problemRef('404') },
      }),
    },
    '/v1/api-keys': {
      post: op({
        operationId: 'createApiKey',
        summary: 'Create an API key; the full key is in this answer only',
        scope: 'admin',
        requestBody: body('CreateApiKeyRequest'),
        responses: { '201': ok('Created', 'CreatedApiKey'), '400': problemRef('400') },
      }),
      get: op({
        operationId: 'listApiKeys',
        summary: 'API keys (never their secrets)',
        scope: 'admin',
        parameters: [query('tenant', { type: 'string' })],
        responses: { '200': { description: 'Keys', content: list('ApiKey') }, '400': problemRef('400') },
      }),
    },
    '/v1/api-keys/{id}:revoke': {
      post: op({
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key (it stops working at once)',
        scope: 'admin',
        parameters: [idParam],
        responses: { '200': ok('Revoked', 'ApiKey'), '404': problemRef('404') },
      }),
    },
  };
}

const healthPaths = {
  '/health/live': {
    get: {
      operationId: 'live',
      summary: 'Liveness',
      security: [],
      responses: { '200': ok('Process is alive') },
    },
  },
  '/health/ready': {
    get: {
      operationId: 'ready',
      summary: 'Readiness',
      security: [],
      responses: { '200': ok('Dependencies answer'), '503': ok('A dependency is down') },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      security: [],
      responses: { '200': ok('Metrics') },
    },
  },
};

const problemSchema = {
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
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const problemResponse = (description: string, headers?: Record<string, unknown>) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
  ...(headers ? { headers } : {}),
});

/** Version of the REST API document (docs/api/openapi.json). */
export const API_VERSION = '0.1.0';

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(version: string = API_VERSION): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'jobplane API',
      version,
      description: `Submit, watch, cancel and retry jobs. Authenticate with an API key: \`Authorization: Bearer jp_...\` (or \`X-Api-Key\`). Scopes: ${SCOPES.join(', ')}.`,
    },
    security: [{ apiKey: [] }],
    paths: {
      ...jobPaths(),
      ...authenticated(liveOpenApiPaths, 'jobs:read'),
      ...adminPaths(),
      ...authenticated(fleetOpenApiPaths, 'jobs:read'),
      ...auditPaths(),
      ...healthPaths,
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'jp_<prefix>_<secret>',
          description: 'An API key; `X-Api-Key: <key>` is accepted too.',
        },
      },
      responses: {
        '400': problemResponse('Invalid request (unknown fields and parameters are refused too)'),
        '401': problemResponse('No API key, or an unknown, revoked or expired one'),
        '403': problemResponse('The API key lacks the scope'),
        '404': problemResponse("Not found (also another tenant's job)"),
        '409': problemResponse('Wrong state, or an idempotency key reused with a different body'),
        '413': problemResponse('Request body over 1 MiB'),
        '429': problemResponse("Over the tenant's request rate or queued-jobs cap", {
          'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait (rate limit)' },
        }),
      },
      schemas: {
        SubmitJobRequest: schema(submitJobRequestSchema, 'input'),
        SubmitJobsRequest: {
          ...schema(submitJobsRequestSchema, 'input'),
          properties: {
            jobs: { type: 'array', minItems: 1, maxItems: 1000, items: ref('SubmitJobRequest') },
          },
        },
        SubmitJobsResponse: schema(submitJobsResponseSchema),
        CancelJobRequest: schema(cancelJobRequestSchema, 'input'),
        RetryJobRequest: schema(retryJobRequestSchema, 'input'),
        Job: schema(jobViewSchema),
        JobPage: schema(jobPageSchema),
        JobEvent: schema(jobEventViewSchema),
        Pool: schema(poolViewSchema),
        PatchPoolRequest: schema(patchPoolRequestSchema, 'input'),
        Worker: schema(workerViewSchema),
        Handler: schema(handlerViewSchema),
        Schedule: schema(scheduleViewSchema),
        CreateScheduleRequest: schema(createScheduleRequestSchema, 'input'),
        PatchScheduleRequest: schema(patchScheduleRequestSchema, 'input'),
        ApiKey: schema(apiKeyViewSchema),
        CreatedApiKey: schema(createdApiKeySchema),
        CreateApiKeyRequest: schema(createApiKeyRequestSchema, 'input'),
        AuditRecord: schema(auditRecordViewSchema),
        AuditPage: {
          type: 'object',
          required: ['items', 'nextCursor'],
          properties: {
            items: { type: 'array', items: ref('AuditRecord') },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        AuditVerification: schema(auditVerificationSchema),
        Problem: problemSchema,
      },
    },
  };
}

/** The checked-in form of the document (`pnpm docs:openapi` writes it; a test keeps it current). */
export function renderOpenApiJson(): string {
  return `${JSON.stringify(buildOpenApiDocument(API_VERSION), null, 2)}\n`;
}
