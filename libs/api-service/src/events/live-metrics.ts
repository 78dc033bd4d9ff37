import { Gauge, type Registry } from 'prom-client';
import type { EventHub } from './event-hub';

/** Live-stream gauges: subscribers tell whether closed streams really let go (leaks show here). */
export function registerLiveMetrics(registry: Registry, hub: EventHub): void {
  new Gauge({
    name: 'jobplane_live_subscribers',
    help: 'Open live-event subscriptions on this api replica (SSE, WebSocket and gRPC streams)',
    registers: [registry],
    collect() {
      this.set(hub.subscriberCount());
    },
  });
  new Gauge({
    name: 'jobplane_live_notes_received',
    help: 'Recorded-event notes this api replica received from the notify exchange',
    registers: [registry],
    collect() {
      this.set(hub.received);
    },
  });
}
