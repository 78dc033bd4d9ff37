import type { Logger } from 'pino';

/** Routes NestJS's own log lines into the service's pino logger (structurally a Nest LoggerService). */
export class PinoNestLogger {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ nestContext: context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ nestContext: context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ nestContext: context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ nestContext: context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ nestContext: context }, String(message));
  }
}
