import type { JobEventNote } from '@jobplane/contracts';

/** What waiting for the next note can come back with besides a note. */
export type QueueSignal = 'overflow' | 'idle' | 'aborted';

/**
 * One live subscriber's buffer between the hub (which must never block) and a stream that may be
 * slow. Bounded: past `capacity` notes it drops them all and reports 'overflow' once, so a stalled
 * client costs at most `capacity` notes of memory; the stream decides what that means (re-read the
 * registry, or close).
 */
export class NoteQueue {
  private items: JobEventNote[] = [];
  private overflowed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  push(note: JobEventNote): void {
    if (this.overflowed) return;
    if (this.items.length >= this.capacity) {
      this.overflowed = true;
      this.items = [];
    } else {
      this.items.push(note);
    }
    this.wake?.();
  }

  /** The next note; 'idle' after `idleMs` without one, 'aborted' once `signal` fires. */
  async next(signal: AbortSignal, idleMs: number): Promise<JobEventNote | QueueSignal> {
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (this.overflowed) {
        this.overflowed = false;
        return 'overflow';
      }
      const note = this.items.shift();
      if (note) return note;
      if (!(await this.waitForPush(signal, idleMs))) return signal.aborted ? 'aborted' : 'idle';
    }
  }

  /** True when woken by a push, false on timeout or abort. */
  private waitForPush(signal: AbortSignal, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (pushed: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        this.wake = undefined;
        resolve(pushed);
      };
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener('abort', aborted, { once: true });
      this.wake = () => done(true);
    });
  }
}
