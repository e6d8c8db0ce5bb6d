/**
 * The metrics listener (`metrics.listeners`, e.g. http://127.0.0.1:9644): plain HTTP serving
 *   GET /metrics       the broker's registry in Prometheus text format 0.0.4
 *   GET /health/live   200 while the process serves HTTP (a liveness probe: restart if it fails)
 *   GET /health/ready  200 once the broker is ready (logs loaded, listeners up, registered in the
 *                      cluster metadata), else 503 with the reason (a readiness probe)
 * Anything else is 404; methods other than GET and HEAD are 405. Samsa's own (Kafka exposes JMX,
 * scraped through the JMX exporter agent): one listener per broker, so brokers in one process
 * export apart. Bodies are small and built per request; no authentication (bind it to a private
 * address, as one does the JMX exporter's port).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../common/logger.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready (shown in the 503 body). */
  reason: string;
}

export interface MetricsEndpoints {
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  readiness(): Readiness;
}

export interface BoundMetricsListener {
  url: string;
  host: string;
  port: number;
}

/** Parses `http://host:port` (IPv6 in brackets); throws on anything else. */
export function parseMetricsListener(spec: string): { host: string; port: number } {
  const m = /^http:\/\/(\[([^\]]*)\]|[^:/]*):(\d+)\/?$/.exec(spec.trim());
  if (m === null) throw new Error(`metrics.listeners: '${spec}' is not http://host:port`);
  const host = m[2] ?? m[1] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`metrics.listeners: port ${port} out of range`);
  return { host, port };
}

export class MetricsServer {
  private readonly servers: Server[] = [];
  readonly bound: BoundMetricsListener[] = [];

  constructor(
    private readonly endpoints: MetricsEndpoints,
    private readonly logger: Logger,
  ) {}

  async listen(specs: readonly string[]): Promise<void> {
    for (const spec of specs) {
      const { host, port } = parseMetricsListener(spec);
      const server = createServer((req, res) => this.serve(req, res));
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host === '' ? undefined : host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
      const addr = server.address();
      const boundPort = addr !== null && typeof addr === 'object' ? addr.port : port;
      const shown = host === '' ? '0.0.0.0' : host;
      const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${boundPort}`;
      this.bound.push({ url, host: shown, port: boundPort });
      this.logger.info(`Metrics listener on ${url} (/metrics, /health/live, /health/ready)`);
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        this.endpoints.scrape().then(
          ({ contentType, body }) => void res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
          (e: unknown) => {
            this.logger.error('metrics scrape failed', e);
            res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
          },
        );
        return;
      case '/health/live':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}\n');
        return;
      case '/health/ready': {
        const r = this.endpoints.readiness();
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r.ready ? { status: 'ready' } : { status: 'not ready', reason: r.reason })}\n`);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /health/live or /health/ready\n');
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers.length = 0;
  }
}
