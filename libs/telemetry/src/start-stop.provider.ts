import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap, Type } from '@nestjs/common';

/** Something with a start and a graceful stop (consumers, relays, loops). */
export interface StartStop {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/**
 * A Nest provider that starts `service` once the whole application has booted (so it never
 * consumes before its dependencies are wired) and stops it before shutdown (so it drains first).
 */
export function startStopProvider(service: StartStop): Type<unknown> {
  @Injectable()
  class StartStopLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
    async onApplicationBootstrap() {
      await service.start();
    }
    async beforeApplicationShutdown() {
      await service.stop();
    }
  }
  return StartStopLifecycle;
}
