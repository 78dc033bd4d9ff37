import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JobError, JobState, Progress } from '@jobplane/contracts';

/** The job registry row. Written by the api at submit, then only by the scheduler. */
@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') tenant!: string;
  @Column('text') type!: string;
  @Column('text') pool!: string;
  @Column('text') state!: JobState;
  @Column('smallint') priority!: number;
  @Column('jsonb') payload!: unknown;
  @Column('jsonb', { nullable: true }) result!: unknown;
  @Column('jsonb', { nullable: true }) error!: JobError | null;
  @Column('jsonb', { nullable: true }) progress!: Progress | null;
  /** Attempts dispatched so far; outcomes of any other attempt are fenced out. */
  @Column('int') attempt!: number;
  @Column('int', { name: 'max_attempts' }) maxAttempts!: number;
  @Column('timestamptz', { name: 'run_at', nullable: true }) runAt!: Date | null;
  @Column('jsonb', { nullable: true }) backoff!: unknown;
  @Column('jsonb', { nullable: true }) timeouts!: unknown;
  @Column('jsonb') labels!: Record<string, string>;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  @Column('timestamptz', { name: 'cancel_requested_at', nullable: true }) cancelRequestedAt!: Date | null;
  @Column('text', { name: 'worker_id', nullable: true }) workerId!: string | null;
  /** Seq of the latest job_events row; the next event takes last_seq + 1. */
  @Column('int', { name: 'last_seq' }) lastSeq!: number;
  /** Bumped on every change (optimistic concurrency). */
  @Column('int') version!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}
