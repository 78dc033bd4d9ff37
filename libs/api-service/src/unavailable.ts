export { isStoreUnavailable } from '@jobplane/persistence';

/** Seconds a client should wait before retrying a request refused while a store is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_S = 1;
