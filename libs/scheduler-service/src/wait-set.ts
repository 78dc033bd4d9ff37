/** Timed waits per key that another part of the process can end early (`wake`). */
export class WaitSet {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves after `ms`, or as soon as `wake(key)` is called. */
  wait(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  wake(key: string): void {
    this.waiters.get(key)?.forEach((w) => w());
  }

  wakeAll(): void {
    this.waiters.forEach((set) => set.forEach((w) => w()));
  }
}
