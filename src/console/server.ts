/**
 * The Samsa web console: an HTTP server (fastify) that serves a documented JSON API under
 * /api/... (docs/console.md) and a browser app (preact + htm, no build step) for every other
 * path, so each page's URL opens directly and survives a reload. It is a Kafka client of the
 * cluster (src/client), never part of a broker: `samsa console` runs it on its own, and a broker
 * with console.listeners runs it in-process against its own listener.
 *
 * Rules of its own: API errors are JSON with a status (api-error.ts) and no stack trace; input is
 * validated (validate.ts) and message reads are bounded (routes-messages.ts); every page is
 * served with a Content-Security-Policy that allows only the console's own scripts, and record
 * contents are rendered as text, never as HTML.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ClusterClient } from '../client/cluster-client.js';
import { KafkaConnection, type ClientSecurity } from '../client/connection.js';
import { ApiError, errorBody, toApiError } from './api-error.js';
import { appShell, loadAssets } from './assets.js';
import { ConsoleContext, type ConsoleServices } from './context.js';
import { clusterRoutes } from './routes-cluster.js';
import { connectRoutes } from './routes-connect.js';
import { groupRoutes } from './routes-groups.js';
import { messageRoutes } from './routes-messages.js';
import { schemaRoutes } from './routes-schemas.js';
import { securityRoutes } from './routes-security.js';
import { topicRoutes } from './routes-topics.js';

export interface ConsoleOptions {
  /** host:port of the cluster's bootstrap brokers. */
  bootstrap: readonly string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  clientId?: string;
  metricsUrl?: string | null;
  /** The schema registry (a promise when it is known only later, as a broker's embedded one). */
  schemaRegistryUrl?: string | Promise<string> | null;
  /** `user:password` for a schema registry behind HTTP basic authentication (else the URL's user info). */
  schemaRegistryUserInfo?: string | null;
  /** Kafka Connect's REST URL (user info in it: HTTP basic authentication). */
  connectUrl?: string | null;
  /** TLS and SASL for the cluster connections (a --command-config file); undefined: PLAINTEXT. */
  security?: ClientSecurity | undefined;
  /** Called with each request failure the console answered 500 for (for the log). */
  onError?: (e: unknown) => void;
}

export interface RunningConsole {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest JSON body accepted (a produced value is at most 1 MiB, base64 grows it by a third). */
const BODY_LIMIT = 2 * 1024 * 1024;

export function buildConsoleApp(ctx: ConsoleContext, onError: (e: unknown) => void = () => undefined): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: 4000 } });
  const assets = loadAssets();
  const shell = appShell(assets);
  app.setErrorHandler((e, _req, reply) => {
    const api = toApiError(e);
    if (api.status >= 500 && api.code === 'INTERNAL') onError(e);
    void reply.code(api.status).header('cache-control', 'no-store').send(errorBody(api));
  });
  // A page of another site may not change anything (cross-site requests, DNS rebinding): a
  // request that is not GET/HEAD and names an Origin must come from the console's own host.
  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host !== req.headers.host) throw new ApiError(403, 'CROSS_ORIGIN', 'Changes are accepted only from pages of the console itself.');
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  clusterRoutes(app, ctx);
  topicRoutes(app, ctx);
  messageRoutes(app, ctx);
  groupRoutes(app, ctx);
  securityRoutes(app, ctx);
  schemaRoutes(app, ctx);
  connectRoutes(app, ctx);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (path.startsWith('/api/') || path === '/api') {
      void reply.code(404).send(errorBody(toApiError(Object.assign(new Error(`No API at ${req.method} ${path}`), { statusCode: 404 }))));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      void reply.code(405).send(errorBody(toApiError(Object.assign(new Error(`${req.method} is not allowed here`), { statusCode: 405 }))));
      return;
    }
    const asset = assets.get(path);
    if (asset) {
      void reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
      return;
    }
    if (path.startsWith('/ui/') || path.startsWith('/vendor/')) {
      void reply.code(404).type('text/plain').send('not found');
      return;
    }
    void reply.type('text/html; charset=utf-8').header('content-security-policy', shell.csp).header('cache-control', 'no-cache').send(shell.html);
  });
  return app;
}

/** Starts the console; resolves once it listens. */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const services: ConsoleServices = { metricsUrl: opts.metricsUrl ?? null, schemaRegistryUrl: opts.schemaRegistryUrl ?? null, schemaRegistryUserInfo: opts.schemaRegistryUserInfo ?? null, connectUrl: opts.connectUrl ?? null };
  const clientId = opts.clientId ?? 'samsa-console';
  // A broker that stopped answering (SIGSTOP) holds a page at most 15 s.
  const connect = (address: string): Promise<KafkaConnection> => KafkaConnection.open(address, { clientId, timeoutMs: 5_000, requestTimeoutMs: 15_000, security: opts.security });
  const ctx = new ConsoleContext(new ClusterClient({ bootstrap: opts.bootstrap, clientId, connect }), services);
  const app = buildConsoleApp(ctx, opts.onError);
  const host = opts.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: opts.port ?? 8080 });
  } catch (e) {
    ctx.close();
    await app.close().catch(() => undefined);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (opts.port ?? 8080);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      ctx.close();
      await app.close();
    },
  };
}
