import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  createScheduleRequestSchema,
  nextRuns,
  patchScheduleRequestSchema,
  Principal,
  ScheduleView,
  UUID_PATTERN,
  actorIdOf,
} from '@jobplane/contracts';
import { ScheduleNotFoundError, ScheduleRecord, ScheduleStore } from '@jobplane/persistence';
import { Auth } from './auth/auth.decorator';
import { parseInput } from './problems';

/** Cron and every-N-seconds schedules that submit a job template on each tick. */
@Controller('v1/schedules')
export class SchedulesController {
  constructor(@Inject(ScheduleStore) private readonly schedules: ScheduleStore) {}

  @Post()
  async create(
    @Auth('jobs:write') p: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ScheduleView> {
    const s = await this.schedules.create(
      p.tenant,
      parseInput(createScheduleRequestSchema, body ?? {}, 'body'),
      actorIdOf(p),
    );
    void reply.status(201).header('location', `/v1/schedules/${s.id}`);
    return toView(s);
  }

  @Get()
  async list(@Auth('jobs:read') p: Principal): Promise<{ items: ScheduleView[] }> {
    return { items: (await this.schedules.list(p.tenant)).map(toView) };
  }

  @Get(':id')
  async get(@Auth('jobs:read') p: Principal, @Param('id') id: string): Promise<ScheduleView> {
    return toView(await this.schedules.get(p.tenant, checkId(id)));
  }

  @Patch(':id')
  async patch(
    @Auth('jobs:write') p: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<ScheduleView> {
    return toView(
      await this.schedules.patch(
        p.tenant,
        checkId(id),
        parseInput(patchScheduleRequestSchema, body ?? {}, 'body'),
        actorIdOf(p),
      ),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Auth('jobs:write') p: Principal, @Param('id') id: string): Promise<void> {
    await this.schedules.delete(p.tenant, checkId(id), actorIdOf(p));
  }
}

function checkId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new ScheduleNotFoundError(id);
  return id;
}

function toView(s: ScheduleRecord): ScheduleView {
  const upcoming = s.paused || !s.nextRunAt ? [] : [s.nextRunAt, ...nextRuns(s, s.nextRunAt, 4)];
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    everySeconds: s.everySeconds,
    job: s.job,
    paused: s.paused,
    nextRuns: upcoming.map((d) => d.toISOString()),
    lastFiredAt: s.lastFiredAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
