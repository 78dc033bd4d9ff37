import { nextRuns } from '@jobplane/contracts';
import { advanceSchedule, claimDueSchedules, Database, OutboxRelay, submitJobs } from '@jobplane/persistence';
import { contextFrom, inSpan, SpanKind, traceHeaders, type Logger } from '@jobplane/telemetry';

/**
 * Fires due schedules on the lease holder: one job per tick, with the idempotency key
 * `schedule:<id>:<tick>`, so a tick fires once even across failover or overlapping replicas.
 * Ticks missed while no scheduler ran are not replayed: the schedule fires once and moves on.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | null = null;
  fired = 0;

  constructor(
    private readonly db: Database,
    private readonly relay: OutboxRelay,
    private readonly isLeading: () => boolean,
    private readonly logger: Logger,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    const tick = () => {
      this.fireDue()
        .catch((err) => this.logger.error({ err }, 'firing schedules failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async fireDue(): Promise<number> {
    if (!this.isLeading()) return 0;
    const fired = await this.db.transaction(async (tx) => {
      const due = await claimDueSchedules(tx, 100);
      const now = new Date();
      for (const s of due) {
        const tick = s.nextRunAt!;
        const { job } = s;
        // A root span per fire, stored on the job as a submit request's is: its attempts join this trace.
        await inSpan(
          'scheduler.schedule_fire',
          {
            parent: contextFrom(null),
            kind: SpanKind.PRODUCER,
            attributes: {
              'jobplane.schedule.id': s.id,
              'jobplane.tenant': s.tenant,
              'jobplane.job.type': job.type,
              // Unset: the handler's declared pool applies at submit.
              ...(job.pool ? { 'jobplane.job.pool': job.pool } : {}),
            },
          },
          (span) =>
            submitJobs(
              tx,
              [
                {
                  ...job,
                  tenant: s.tenant,
                  labels: { ...job.labels, 'jobplane.dev/schedule': s.id },
                  idempotencyKey: `schedule:${s.id}:${tick.toISOString()}`,
                },
              ],
              new Date(),
              traceHeaders(),
            ).then(([submitted]) => {
              if (submitted) span.setAttribute('jobplane.job.id', submitted.job.id);
            }),
        );
        await advanceSchedule(tx, s.id, now, nextRuns(s, now > tick ? now : tick)[0]!);
      }
      return due.length;
    });
    if (fired > 0) this.relay.kick();
    this.fired += fired;
    return fired;
  }
}
