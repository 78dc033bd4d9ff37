import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LiveSse } from './live-sse';

@Controller('v1/events')
export class EventsController {
  constructor(@Inject(LiveSse) private readonly sse: LiveSse) {}

  /** The tenant's live job events as SSE (`?type=` and `?pool=` narrow it). */
  @Get()
  async stream(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sse.streamTenant(req, reply);
  }
}
