import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  createScheduleRequestSchema,
  nextRuns,
  patchScheduleRequestSchema,
  ScheduleView,
  UUID_PATTERN,
} from '@jobplane/contracts';
import { ScheduleNotFoundError, ScheduleRecord, ScheduleStore } from '@jobplane/persistence';
import { parseInput } from './problems';

export const API_TENANT = Symbol('API_TENANT');

/** Cron and every-N-seconds schedules that submit a job template on each tick. */
@Controller('v1/schedules')
export class SchedulesController {
  constructor(
    @Inject(ScheduleStore) private readonly schedules: ScheduleStore,
    @Inject(API_TENANT) private readonly tenant: string,
  ) {}

  @Post()
  async create(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ScheduleView> {
    const s = await this.schedules.create(
      this.tenant,
      parseInput(createScheduleRequestSchema, body ?? {}, 'body'),
    );
    void reply.status(201).header('location', `/v1/schedules/${s.id}`);
    return toView(s);
  }

  @Get()
  async list(): Promise<{ items: ScheduleView[] }> {
    return { items: (await this.schedules.list(this.tenant)).map(toView) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ScheduleView> {
    return toView(await this.schedules.get(this.tenant, checkId(id)));
  }

  @Patch(':id')
  async patch(@Param('id') id: string, @Body() body: unknown): Promise<ScheduleView> {
    return toView(
      await this.schedules.patch(
        this.tenant,
        checkId(id),
        parseInput(patchScheduleRequestSchema, body ?? {}, 'body'),
      ),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    await this.schedules.delete(this.tenant, checkId(id));
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
