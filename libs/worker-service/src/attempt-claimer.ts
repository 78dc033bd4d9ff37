import {
  ATTEMPT_CLAIM,
  ClaimCause,
  ClaimReply,
  createAttemptClaim,
  EVENTS_EXCHANGE,
  MessageOf,
} from '@jobplane/contracts';
import type { MessageBus } from '@jobplane/messaging';

/** granted: run it; refused: someone else owns it, or it is over; unanswered: ask again later. */
export type ClaimOutcome = 'granted' | 'refused' | 'unanswered';

/**
 * Asks the scheduler whether this worker may run an attempt it received in a delivery it cannot
 * trust (see contracts/claims.ts). Replies arrive on the worker's control queue and are matched to
 * the pending claim by id. Only the fault path pays this round trip: first deliveries run at once.
 */
export class AttemptClaimer {
  private readonly pending = new Map<string, (reply: ClaimReply) => void>();

  constructor(
    private readonly bus: MessageBus,
    private readonly workerId: string,
    private readonly timeoutMs: number,
  ) {}

  async claim(
    msg: MessageOf<'job.dispatch'>,
    cause: ClaimCause,
  ): Promise<{ outcome: ClaimOutcome; reason?: string }> {
    const claim = createAttemptClaim({
      jobId: msg.jobId,
      tenant: msg.tenant,
      attempt: msg.data.attempt,
      workerId: this.workerId,
      cause,
    });
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<ClaimReply | null>((resolve) => {
      this.pending.set(claim.id, resolve);
      timer = setTimeout(() => resolve(null), this.timeoutMs);
    });
    try {
      await this.bus.publish([
        {
          exchange: EVENTS_EXCHANGE,
          routingKey: ATTEMPT_CLAIM,
          messageId: claim.id,
          body: Buffer.from(JSON.stringify(claim)),
        },
      ]);
      const answer = await reply;
      if (!answer) return { outcome: 'unanswered', reason: 'no reply in time' };
      return answer.granted ? { outcome: 'granted' } : { outcome: 'refused', reason: answer.reason };
    } catch (err) {
      return { outcome: 'unanswered', reason: `claim not sent: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
      this.pending.delete(claim.id);
    }
  }

  /** A reply from the control queue; one for a claim no longer waiting is ignored. */
  answered(reply: ClaimReply): void {
    this.pending.get(reply.claimId)?.(reply);
  }
}
