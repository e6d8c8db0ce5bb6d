/**
 * Samsa's REST proxy: Confluent REST Proxy's HTTP API (v2 produce/consume/metadata, v3 cluster
 * administration and produce) served with fastify, talking to any Kafka-protocol cluster through
 * the project's protocol client (src/client), never through the broker's internals.
 *
 * Confluent's rules kept: JSON bodies in the media types application/json,
 * application/vnd.kafka.v2+json and application/vnd.kafka.<format>.v2+json; errors as
 * {"error_code", "message"} (v2 five-digit codes, v3 the HTTP status); an unknown path is 404.
 * Samsa's bounds on untrusted input: request bodies of at most maxRequestBytes (413 / 41301),
 * at most maxRecordsPerRequest records per produce, maxConsumerInstances instances, GET records
 * answers of at most maxPollBytes.
 *
 * Security: `security` is the proxy's own client security (TLS, and SASL without `sasl`); with
 * `sasl` naming a mechanism (PLAIN, SCRAM-SHA-256/512) each request's HTTP basic credentials are
 * the SASL login of that principal's own connections (principals.ts, docs/rest-proxy.md).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ClientSaslMechanism, ClientSecurity } from '../client/client-security.js';
import type { Logger } from '../common/logger.js';
import { ConsumerInstances } from './consumer-instances.js';
import { JsonValueStream, type RestContext } from './context.js';
import { RestError, RestErrorCode, toRestError } from './errors.js';
import { RecordFormats } from './formats.js';
import { Principals } from './principals.js';
import { SchemaRegistryClient } from './schema-registry-client.js';
import { registerV2Consumers } from './v2-consumers.js';
import { registerV2Topics } from './v2-topics.js';
import { registerV3Clusters } from './v3-clusters.js';
import { registerV3Groups } from './v3-groups.js';
import { registerV3Records } from './v3-records.js';

export interface RestProxyOptions {
  /** Kafka bootstrap servers, "host:port". */
  bootstrap: readonly string[];
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Default 8082; 0 for any free port. */
  port?: number;
  /**
   * Confluent-compatible schema registry for avro / jsonschema / protobuf; default none. A function
   * resolves it on first use (a broker's own registry, started after the proxy).
   */
  schemaRegistryUrl?: string | (() => Promise<string>) | null;
  /** consumer.instance.timeout.ms: idle instances are deleted after it; default 300,000. */
  consumerInstanceTimeoutMs?: number;
  /** consumer.request.timeout.ms: how long GET records waits by default; default 1,000. */
  consumerRequestTimeoutMs?: number;
  /** Largest request body; default 64 MiB. */
  maxRequestBytes?: number;
  /** Default 1,000. */
  maxConsumerInstances?: number;
  /** Default 10,000. */
  maxRecordsPerRequest?: number;
  /** Largest GET records answer (keys and values); default 64 MiB. */
  maxPollBytes?: number;
  clientId?: string;
  /**
   * A SASL mechanism: every request needs HTTP basic credentials, used as the SASL login of the
   * Kafka connections of that principal (principals.ts). Default null: no authentication.
   */
  sasl?: ClientSaslMechanism | null;
  /** TLS (and, without `sasl`, SASL) of the proxy's Kafka connections; default PLAINTEXT. */
  security?: ClientSecurity;
  /** Distinct authenticated principals kept at most; default 1,000. */
  maxPrincipals?: number;
  logger?: Logger;
}

/** Splits a body of JSON objects or arrays written back to back; null when it is not that. */
export function splitJsonValues(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (i >= n) break;
    const open = text[i];
    if (open !== '{' && open !== '[') return null;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) return null;
    out.push(text.slice(start, i));
  }
  return out;
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const parts = splitJsonValues(text);
    if (parts && parts.length > 1) return new JsonValueStream(parts.map((p) => JSON.parse(p) as unknown));
    throw new RestError(400, `Malformed JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export class RestProxy {
  private constructor(
    private readonly app: FastifyInstance,
    private readonly principals: Principals,
    private readonly instances: ConsumerInstances,
    readonly host: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  static async start(opts: RestProxyOptions): Promise<RestProxy> {
    const logger = opts.logger;
    const principals = new Principals({ bootstrap: opts.bootstrap, clientId: opts.clientId ?? 'samsa-rest-proxy', sasl: opts.sasl ?? null, security: opts.security, maxPrincipals: opts.maxPrincipals ?? 1_000 });
    const instances = new ConsumerInstances({
      instanceTimeoutMs: opts.consumerInstanceTimeoutMs ?? 300_000,
      maxInstances: opts.maxConsumerInstances ?? 1_000,
      defaultRequestTimeoutMs: opts.consumerRequestTimeoutMs ?? 1_000,
      onError: (e) => logger?.debug(`consumer instance: ${e instanceof Error ? e.message : String(e)}`),
    });
    const ctx: RestContext = {
      cluster: (req) => principals.clusterFor(req),
      principal: (req) => principals.principalOf(req),
      formats: new RecordFormats(opts.schemaRegistryUrl ? new SchemaRegistryClient(opts.schemaRegistryUrl) : null),
      instances,
      limits: { maxRecordsPerRequest: opts.maxRecordsPerRequest ?? 10_000, maxPollBytes: opts.maxPollBytes ?? 64 * 1024 * 1024 },
    };
    const app = Fastify({ bodyLimit: opts.maxRequestBytes ?? 64 * 1024 * 1024, logger: false });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(/^application\/(json|vnd\.kafka(\.[a-z]+)?\.v[23]\+json)/, { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (e) {
        done(e as Error, undefined);
      }
    });
    app.addContentTypeParser('*', (req: FastifyRequest, _payload, done) => {
      done(new RestError(RestErrorCode.UNSUPPORTED_MEDIA_TYPE, `Unsupported media type '${req.headers['content-type'] ?? ''}'`), undefined);
    });
    app.setErrorHandler((err: FastifyError | Error, req, reply) => {
      let r: RestError;
      const code = (err as FastifyError).code;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') r = new RestError(RestErrorCode.BODY_TOO_LARGE, `Request body larger than ${opts.maxRequestBytes ?? 64 * 1024 * 1024} bytes`);
      else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') r = new RestError(RestErrorCode.UNSUPPORTED_MEDIA_TYPE, err.message);
      else if (typeof code === 'string' && code.startsWith('FST_ERR')) r = new RestError((err as FastifyError).statusCode ?? 400, err.message);
      else r = toRestError(err);
      if (r.status >= 500) logger?.warn(`REST ${req.method} ${req.url}: ${r.message}`);
      const v3 = req.url.startsWith('/v3');
      if (r.status === 401) void reply.header('www-authenticate', 'Basic realm="samsa-rest-proxy"');
      void reply
        .code(r.status)
        .type(v3 ? 'application/json' : 'application/vnd.kafka.v2+json')
        .send({ error_code: v3 ? r.status : r.errorCode, message: r.message });
    });
    app.setNotFoundHandler((req, reply) => {
      void reply.code(404).type('application/json').send({ error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${req.url.split('?')[0] ?? ''}` });
    });
    app.get('/', async () => ({}));
    registerV2Topics(app, ctx);
    registerV2Consumers(app, ctx);
    registerV3Clusters(app, ctx);
    registerV3Groups(app, ctx);
    registerV3Records(app, ctx);
    const host = opts.host ?? '127.0.0.1';
    try {
      await app.listen({ host, port: opts.port ?? 8082 });
    } catch (e) {
      principals.close();
      await instances.closeAll();
      throw e;
    }
    const port = (app.server.address() as AddressInfo).port;
    logger?.info(`REST proxy listening on http://${host}:${port} for Kafka at ${opts.bootstrap.join(',')}`);
    return new RestProxy(app, principals, instances, host, port);
  }

  /** Consumer instances alive now. */
  get consumerInstances(): number {
    return this.instances.size;
  }

  /** Deletes idle instances now (the timer does it every quarter of the timeout). */
  expireIdleInstances(): void {
    this.instances.expire();
  }

  async close(): Promise<void> {
    await this.instances.closeAll();
    await this.app.close();
    this.principals.close();
  }
}
