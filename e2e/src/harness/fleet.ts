import { AppName, ServiceProcess, Stack, stopService } from '@jobplane/testing';
import type { ChartComponent, ChartConfig } from './chart-config';
import type { SteadyLoad } from './load';

export interface Replica {
  app: AppName;
  version: string;
  process: ServiceProcess;
  /** The api's base url (its Service endpoint). */
  url?: string;
}

export interface Stopped {
  name: string;
  version: string;
  code: number | string;
  ms: number;
  graceSeconds: number;
}

/**
 * The Deployments of the chart as processes: replicas per component, started from a given build
 * with the chart's env, stopped the way the kubelet does (endpoint removed, preStop sleep, SIGTERM,
 * SIGKILL after terminationGracePeriodSeconds).
 */
export class Fleet {
  readonly replicas: Replica[] = [];
  readonly stopped: Stopped[] = [];
  private seq = 0;

  constructor(
    private readonly stack: Stack,
    private readonly chart: ChartConfig,
    private readonly load: () => SteadyLoad | undefined,
  ) {}

  of(app: AppName): Replica[] {
    return this.replicas.filter((r) => r.app === app);
  }

  apiUrls(): string[] {
    return this.of('api').map((r) => r.url!);
  }

  async start(app: AppName, version: { name: string; root?: string }): Promise<Replica> {
    const name = `${app}-${version.name}-${this.seq++}`;
    // A worker's id defaults to its host name, which in a pod is the pod's name: here, the process's.
    const env = { ...this.component(app).env, ...(app === 'worker' ? { WORKER_ID: name } : {}) };
    const process = await this.stack.spawn(name, app, { env, root: version.root });
    const replica: Replica = { app, version: version.name, process };
    if (app === 'api') replica.url = new URL(process.healthUrl).origin;
    this.replicas.push(replica);
    // Ready: only now does the Service route to it.
    if (app === 'api') this.load()?.setEndpoints(this.apiUrls());
    return replica;
  }

  async stop(replica: Replica): Promise<Stopped> {
    const spec = this.component(replica.app);
    this.replicas.splice(this.replicas.indexOf(replica), 1);
    const t0 = Date.now();
    if (replica.app === 'api') {
      // Terminating: the endpoint leaves the Service while preStop sleeps, then SIGTERM.
      this.load()?.setEndpoints(this.apiUrls());
      await new Promise((r) => setTimeout(r, spec.preStopSleepSeconds * 1000));
    }
    const code = await stopService(replica.process, spec.terminationGracePeriodSeconds * 1000);
    const stopped = {
      name: replica.process.name,
      version: replica.version,
      code,
      ms: Date.now() - t0,
      graceSeconds: spec.terminationGracePeriodSeconds,
    };
    this.stopped.push(stopped);
    return stopped;
  }

  /** A RollingUpdate with maxUnavailable 0: per replica, the new one is ready before the old one stops. */
  async roll(app: AppName, to: { name: string; root?: string }): Promise<void> {
    for (const old of this.of(app).filter((r) => r.version !== to.name)) {
      await this.start(app, to);
      await this.stop(old);
    }
  }

  private component(app: AppName): ChartComponent {
    return this.chart[app];
  }
}
