import {
  ClaimReply,
  CONTRACT_VERSION,
  parseAttemptClaim,
  SCHEDULER_CLAIMS_QUEUE,
  workerControlQueue,
} from '@jobplane/contracts';
import type { Delivery, MessageBus, Subscription } from '@jobplane/messaging';
import { Database, decideClaim } from '@jobplane/persistence';
import type { Logger } from '@jobplane/telemetry';

/**
 * Answers workers' attempt claims (see `decideClaim`). Every replica consumes: the decision is one
 * registry transaction under the job's row lock, so replicas cannot grant one attempt twice. The
 * reply goes straight to the claiming worker's control queue; a lost reply only delays the worker,
 * which asks again (a repeated claim by the attempt's owner is granted again).
 */
export class ClaimConsumer {
  private subscription: Subscription | null = null;
  granted = 0;
  refused = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly lostAfterMs: number,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.consume(SCHEDULER_CLAIMS_QUEUE, (d) => this.answer(d), {
      prefetch: 16,
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.cancel();
    this.subscription = null;
  }

  private async answer(delivery: Delivery): Promise<void> {
    const parsed = parseAttemptClaim(delivery.body);
    if (!parsed.ok) {
      this.logger.error({ error: parsed.error }, 'malformed attempt claim dead-lettered');
      return delivery.nack(false);
    }
    const claim = parsed.value;
    try {
      const decision = await this.db.transaction((tx) =>
        decideClaim(tx, { ...claim, republished: claim.cause === 'republished' }, this.lostAfterMs),
      );
      const reply: ClaimReply = {
        v: CONTRACT_VERSION,
        type: 'attempt.claim_reply',
        claimId: claim.id,
        jobId: claim.jobId,
        attempt: claim.attempt,
        granted: decision.granted,
        ...(decision.granted ? {} : { reason: decision.reason }),
      };
      if (decision.granted) this.granted++;
      else this.refused++;
      this.logger.info(
        {
          jobId: claim.jobId,
          attempt: claim.attempt,
          workerId: claim.workerId,
          cause: claim.cause,
          ...(reply.reason ? { reason: reply.reason } : {}),
        },
        decision.granted ? 'attempt claim granted' : 'attempt claim refused',
      );
      // Not mandatory: a worker that died while it waited has no queue any more, nobody to tell.
      await this.bus.publish([
        {
          exchange: '',
          routingKey: workerControlQueue(claim.workerId),
          body: Buffer.from(JSON.stringify(reply)),
          mandatory: false,
        },
      ]);
    } catch (err) {
      // The worker times out and asks again; a claim is never dead-lettered for a passing failure.
      this.logger.warn({ err, jobId: claim.jobId }, 'attempt claim not answered');
    }
    delivery.ack();
  }
}
