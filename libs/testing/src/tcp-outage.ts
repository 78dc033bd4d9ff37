import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP proxy in front of a real server (Postgres, RabbitMQ) that can go down — its connections
 * cut, new ones refused — and come back on the same port. Fault tests see a real driver's errors
 * of a server that went away, while the shared server itself is never restarted.
 */
export class TcpOutage {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** A proxy for the server of `url` (`defaultPort` when the URL names none). */
  static of(url: URL, defaultPort: number): TcpOutage {
    return new TcpOutage({ host: url.hostname, port: Number(url.port || defaultPort) });
  }

  /** `url` pointed at the proxy instead of the server (call after the first `up`). */
  through(url: URL): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  /** Accepts connections again, on the port of the first `up`. */
  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts every open connection (the listener stays). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Cuts every connection and refuses new ones until `up`. */
  async down(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server!.close(r));
  }
}
