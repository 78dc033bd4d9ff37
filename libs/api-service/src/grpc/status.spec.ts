import { status } from '@grpc/grpc-js';
import { ERROR_CODES } from '@jobplane/contracts';
import { InvalidCursorError, JobNotFoundError, JobStateError } from '@jobplane/persistence';
import { z } from 'zod';
import { ApiProblem, validationProblem } from '../problems';
import { ERROR_CODE_METADATA, GRPC_STATUS_BY_CODE, toGrpcStatus } from './status';

describe('gRPC status mapping', () => {
  it('maps every request error code REST answers to one gRPC status', () => {
    const requestCodes = [
      ERROR_CODES.validation,
      ERROR_CODES.notFound,
      ERROR_CODES.conflict,
      ERROR_CODES.invalidState,
      ERROR_CODES.payloadTooLarge,
      ERROR_CODES.unavailable,
      ERROR_CODES.internal,
      ERROR_CODES.unauthenticated,
      ERROR_CODES.forbidden,
      ERROR_CODES.rateLimited,
    ];
    expect(Object.keys(GRPC_STATUS_BY_CODE).sort()).toEqual([...requestCodes].sort());
  });

  it.each([
    [new JobNotFoundError('j1'), status.NOT_FOUND, 'not_found'],
    [new JobStateError('j1', 'succeeded', 'cancel'), status.FAILED_PRECONDITION, 'invalid_state'],
    [new InvalidCursorError(), status.INVALID_ARGUMENT, 'validation_failed'],
    [
      new ApiProblem(401, ERROR_CODES.unauthenticated, 'Unauthenticated'),
      status.UNAUTHENTICATED,
      'unauthenticated',
    ],
    [new ApiProblem(403, ERROR_CODES.forbidden, 'Forbidden'), status.PERMISSION_DENIED, 'forbidden'],
    [new ApiProblem(429, ERROR_CODES.rateLimited, 'Slow down'), status.RESOURCE_EXHAUSTED, 'rate_limited'],
    [new ApiProblem(409, ERROR_CODES.conflict, 'Conflict'), status.ALREADY_EXISTS, 'conflict'],
    [new Error('secret internals'), status.INTERNAL, 'internal_error'],
  ])('%s -> %s with the stable code in trailing metadata', (err, code, stable) => {
    const s = toGrpcStatus(err);
    expect(s.code).toBe(code);
    expect(s.metadata?.get(ERROR_CODE_METADATA)).toEqual([stable]);
    expect(s.details).not.toMatch(/secret internals/);
  });

  it('names every bad field in the message of a validation failure', () => {
    const r = z.strictObject({ type: z.string(), priority: z.number().max(10) }).safeParse({ priority: 99 });
    const s = toGrpcStatus(validationProblem(r.error!, 'request'));
    expect(s.code).toBe(status.INVALID_ARGUMENT);
    expect(s.details).toMatch(/^Request validation failed: request: type: .*; priority: /);
  });
});
