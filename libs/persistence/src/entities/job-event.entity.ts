import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Append-only history of one job; `seq` is per-job monotonic and is the SSE event id. */
@Entity({ name: 'job_events' })
export class JobEventEntity {
  @PrimaryColumn('uuid', { name: 'job_id' }) jobId!: string;
  @PrimaryColumn('int') seq!: number;
  /** Id of the message that caused it; unique, so a redelivered message is recorded once. */
  @Column('uuid', { name: 'event_id' }) eventId!: string;
  @Column('text') type!: string;
  @Column('int', { nullable: true }) attempt!: number | null;
  @Column('jsonb') data!: unknown;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
}
