import type { CronExpressionParser as Parser } from 'cron-parser';

/** cron-parser, loaded on first use: workers never parse cron, and it costs memory in each process. */
function cron(): typeof Parser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('cron-parser') as typeof import('cron-parser')).CronExpressionParser;
}
import { z } from 'zod';
import { submitJobRequestSchema } from './dto';

/** The job a schedule submits on each tick (an idempotency key is set per tick by the scheduler). */
export const scheduleJobTemplateSchema = submitJobRequestSchema.omit({ idempotencyKey: true, runAt: true });

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const cronSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((expr, ctx) => {
    try {
      cron().parse(expr);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a cron expression: ${(err as Error).message}` });
    }
  });

const scheduleTiming = {
  /** Standard 5-field cron, or 6 fields with seconds first. */
  cron: cronSchema.optional(),
  /** IANA time zone of the cron expression (default UTC). */
  timezone: z.string().max(64).refine(validTimezone, 'unknown IANA time zone').optional(),
  /** Fire every N seconds instead of a cron expression. */
  everySeconds: z.number().int().min(1).max(31_536_000).optional(),
};

export const createScheduleRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    ...scheduleTiming,
    job: scheduleJobTemplateSchema,
    paused: z.boolean().optional().default(false),
  })
  .refine((s) => (s.cron === undefined) !== (s.everySeconds === undefined), {
    message: 'give exactly one of cron or everySeconds',
    path: ['cron'],
  });
export type CreateScheduleRequest = z.output<typeof createScheduleRequestSchema>;

export const patchScheduleRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    ...scheduleTiming,
    job: scheduleJobTemplateSchema.optional(),
    paused: z.boolean().optional(),
  })
  .refine((s) => !(s.cron !== undefined && s.everySeconds !== undefined), {
    message: 'give at most one of cron or everySeconds',
    path: ['cron'],
  });
export type PatchScheduleRequest = z.output<typeof patchScheduleRequestSchema>;

export interface ScheduleTiming {
  cron: string | null;
  timezone: string | null;
  everySeconds: number | null;
}

/** The next `count` fire times strictly after `after`. */
export function nextRuns(t: ScheduleTiming, after: Date, count = 1): Date[] {
  const runs: Date[] = [];
  if (t.everySeconds) {
    const step = t.everySeconds * 1000;
    // Aligned to the epoch, so replicas and restarts agree on the ticks.
    let next = Math.floor(after.getTime() / step) * step + step;
    for (let i = 0; i < count; i++, next += step) runs.push(new Date(next));
    return runs;
  }
  const it = cron().parse(t.cron!, { currentDate: after, tz: t.timezone ?? 'UTC' });
  for (let i = 0; i < count; i++) runs.push(it.next().toDate());
  return runs;
}

export const scheduleViewSchema = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  cron: z.string().nullable(),
  timezone: z.string().nullable(),
  everySeconds: z.number().nullable(),
  job: scheduleJobTemplateSchema,
  paused: z.boolean(),
  nextRuns: z.array(z.string()),
  lastFiredAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
