export * from './api.module';
export * from './http-app';
export * from './jobs.service';
export * from './openapi';
export * from './problems';
export * from './wait-reason';
export * from './auth/authenticator';
export * from './events/job-event-feed';
