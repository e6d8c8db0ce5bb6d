/**
 * Kafka Connect's REST API (default port 8083) over fastify: connectors, their configs,
 * statuses, tasks, restarts, pause/resume/stop, offsets (KIP-875), plug-ins with config
 * validation, and active topics (KIP-558). Routes are in rest-routes.ts.
 *
 * Kafka's rules kept: JSON bodies; errors {"error_code","message"}; in a distributed cluster a
 * worker that is not the leader forwards writes to the leader's URL (`X-Forwarded`-free: the
 * leader answers as if asked directly), and answers 409 while a rebalance is in progress.
 * Samsa's bounds: request bodies at most `maxRequestBytes` (default 1 MiB), and at most
 * `maxConnectors` connectors.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Herder } from './herder.js';
import { ConnectRestError, toConnectRestError } from './rest-errors.js';
import { registerRoutes } from './rest-routes.js';

export interface ConnectRestOptions {
  host: string;
  port: number;
  maxRequestBytes?: number;
  clusterId: () => Promise<string | null>;
  log: (msg: string) => void;
}

export class ConnectRestServer {
  private constructor(
    private readonly app: FastifyInstance,
    readonly url: string,
  ) {}

  static async start(herder: () => Herder, o: ConnectRestOptions): Promise<ConnectRestServer> {
    const maxBytes = o.maxRequestBytes ?? 1024 * 1024;
    const app = Fastify({ bodyLimit: maxBytes, logger: false });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(/^application\/json|^text\/plain/, { parseAs: 'string' }, (_req, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text) as unknown);
      } catch (e) {
        done(new ConnectRestError(400, `Unrecognized JSON body: ${(e as Error).message}`), undefined);
      }
    });
    app.addContentTypeParser('*', { parseAs: 'string' }, (req, _body, done) => {
      done(new ConnectRestError(415, `HTTP 415 Unsupported Media Type: ${req.headers['content-type'] ?? ''}`), undefined);
    });
    app.setErrorHandler((err: FastifyError | Error, req, reply) => {
      const code = (err as FastifyError).code;
      let r: ConnectRestError;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') r = new ConnectRestError(413, `Request body larger than ${maxBytes} bytes`);
      else if (typeof code === 'string' && code.startsWith('FST_ERR')) r = new ConnectRestError((err as FastifyError).statusCode ?? 400, err.message);
      else r = toConnectRestError(err);
      if (r.status >= 500) o.log(`REST ${req.method} ${req.url}: ${err.stack ?? err.message}`);
      void reply.code(r.status).type('application/json').send({ error_code: r.status, message: r.message });
    });
    app.setNotFoundHandler((req, reply) => {
      void reply.code(404).type('application/json').send({ error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${req.url.split('?')[0] ?? ''}` });
    });
    app.get('/', async () => ({ version: '3.9.0-samsa', commit: 'samsa', kafka_cluster_id: await o.clusterId() }));
    registerRoutes(app, herder);
    await app.listen({ host: o.host, port: o.port });
    const port = (app.server.address() as AddressInfo).port;
    return new ConnectRestServer(app, `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`);
  }

  get port(): number {
    return (this.app.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
