import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CODES } from '@jobplane/contracts';
import { toProblem } from '../problems';

/** One gRPC status per stable error code: the same codes REST answers in problem+json. */
export const GRPC_STATUS_BY_CODE: Record<string, status> = {
  [ERROR_CODES.validation]: status.INVALID_ARGUMENT,
  [ERROR_CODES.notFound]: status.NOT_FOUND,
  // The only conflict is an idempotency key reused with a different body.
  [ERROR_CODES.conflict]: status.ALREADY_EXISTS,
  [ERROR_CODES.invalidState]: status.FAILED_PRECONDITION,
  [ERROR_CODES.unauthenticated]: status.UNAUTHENTICATED,
  [ERROR_CODES.forbidden]: status.PERMISSION_DENIED,
  [ERROR_CODES.rateLimited]: status.RESOURCE_EXHAUSTED,
  // As gRPC itself answers a message over the size limit.
  [ERROR_CODES.payloadTooLarge]: status.RESOURCE_EXHAUSTED,
  [ERROR_CODES.unavailable]: status.UNAVAILABLE,
  [ERROR_CODES.internal]: status.INTERNAL,
};

/** Trailing metadata key carrying the stable error code, for clients that branch on it. */
export const ERROR_CODE_METADATA = 'jobplane-error-code';

/**
 * Any error as a gRPC status: classified by the REST problem mapping (so both surfaces agree), the
 * problem's title and detail (which names every bad field) as the message, internals never exposed.
 */
export function toGrpcStatus(err: unknown): Partial<StatusObject> & { code: status; details: string } {
  const p = toProblem(err);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA, p.code);
  return {
    code: grpcStatusOf(p.code),
    details: p.detail ? `${p.title}: ${p.detail}` : p.title,
    metadata,
  };
}

export function grpcStatusOf(code: string): status {
  return GRPC_STATUS_BY_CODE[code] ?? status.INTERNAL;
}
