import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Messages committed with the state change that caused them, relayed to the bus afterwards. */
@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') exchange!: string;
  @Column('text', { name: 'routing_key' }) routingKey!: string;
  @Column('uuid', { name: 'message_id' }) messageId!: string;
  /** Serialised JSON, kept as text so the relay publishes it without re-encoding. */
  @Column('text') body!: string;
  @Column('jsonb') headers!: Record<string, string>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
