import { Controller, Get, Inject } from '@nestjs/common';
import { HandlerView, Principal } from '@jobplane/contracts';
import { HandlerTypeStore } from '@jobplane/persistence';
import { Auth } from './auth/auth.decorator';
import { WORKER_LOST_AFTER_MS } from './workers.controller';

/**
 * The handler registry: each job type workers have declared, with the defaults a submit gets when
 * it leaves them out, and its payload's JSON Schema (for forms and client-side validation).
 */
@Controller('v1/handlers')
export class HandlersController {
  constructor(
    @Inject(HandlerTypeStore) private readonly handlers: HandlerTypeStore,
    @Inject(WORKER_LOST_AFTER_MS) private readonly lostAfterMs: number,
  ) {}

  @Get()
  async list(@Auth('jobs:read') _p: Principal): Promise<{ items: HandlerView[] }> {
    const handlers = await this.handlers.list(this.lostAfterMs);
    return {
      items: handlers.map(({ updatedAt, ...h }) => ({ ...h, updatedAt: updatedAt.toISOString() })),
    };
  }
}
