import { Database } from '@jobplane/persistence';
import { Redis } from 'ioredis';
import { problemHeaders, toProblem } from './problems';
import { isStoreUnavailable } from './unavailable';

/** Real driver errors of a store that does not answer (port 1 refuses), as a down server gives. */
describe('a backing store that is down answers 503 with Retry-After, not 500', () => {
  it('Postgres refusing connections', async () => {
    const err = await Database.open({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStoreUnavailable(err)).toBe(true);
    expect(toProblem(err, '/v1/jobs')).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(problemHeaders(err)).toEqual({ 'retry-after': '1' });
  });

  it('Redis refusing connections (the shared rate limiter)', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, lazyConnect: true });
    redis.on('error', () => undefined);
    const err = await redis.get('k').then(
      () => undefined,
      (e: unknown) => e,
    );
    redis.disconnect();
    expect(isStoreUnavailable(err)).toBe(true);
    expect(toProblem(err).status).toBe(503);
  });

  it('a saturated pool (pg-pool gives up waiting for a connection), wrapped as TypeORM does', () => {
    const driverError = new Error('timeout exceeded when trying to connect');
    const err = Object.assign(new Error('query failed'), { driverError });
    expect(toProblem(err).status).toBe(503);
  });

  it('a bug stays a 500 without Retry-After', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(isStoreUnavailable(err)).toBe(false);
    expect(toProblem(err)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(problemHeaders(err)).toEqual({});
  });
});
