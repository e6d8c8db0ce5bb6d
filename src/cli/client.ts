/**
 * Shared connection options and client construction for the `samsa` client commands. Every
 * command talks the Kafka protocol through @platformatic/kafka, so it works against any
 * Kafka-compatible cluster, not only Samsa.
 */
import type { Admin, Consumer, Producer } from '@platformatic/kafka';
import { openFirst } from '../client/admin.js';
import type { KafkaConnection } from '../client/connection.js';
import { ClientAuthenticationError, type ClientSecurity } from '../client/client-security.js';
import { readCommandConfig, type CommandConfig } from './command-config.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { CliError, ExitCode } from './output.js';

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

export const connectionOptions: readonly OptionSpec[] = [
  { name: 'bootstrap-server', aliases: ['-b', '--broker-list', '--bootstrap-servers'], arg: 'HOST:PORT[,..]', help: 'Brokers to connect to', default: DEFAULT_BOOTSTRAP },
  { name: 'client-id', arg: 'ID', help: 'Client id sent to the brokers', default: 'samsa-cli' },
  { name: 'timeout', arg: 'MS', help: 'Request timeout in milliseconds', default: '30000' },
  { name: 'command-config', arg: 'FILE', help: "Client properties (Kafka's: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.*, ssl.keystore.*)" },
];

export interface ConnectionSettings {
  bootstrap: string[];
  clientId: string;
  timeout: number;
  /** TLS/SASL from --command-config (undefined: PLAINTEXT). */
  security?: ClientSecurity | undefined;
  /** The same for @platformatic/kafka's clients. */
  library?: CommandConfig['library'];
}

export function connectionSettings(a: ParsedArgs): ConnectionSettings {
  const raw = a.get('bootstrap-server') ?? DEFAULT_BOOTSTRAP;
  const bootstrap = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/^[a-z_]+:\/\//i, ''));
  if (bootstrap.length === 0) throw new CliError('--bootstrap-server is empty.', 'Example: --bootstrap-server localhost:9092');
  for (const b of bootstrap) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(b);
    if (!m || Number(m[2]) > 65535) throw new CliError(`Invalid bootstrap server '${b}'.`, 'Use host:port, e.g. --bootstrap-server localhost:9092');
  }
  const file = a.get('command-config');
  const config = file === undefined ? undefined : readCommandConfig(file);
  return { bootstrap, clientId: a.get('client-id') ?? 'samsa-cli', timeout: a.int('timeout', 1, 3_600_000) ?? 30_000, security: config?.security, library: config?.library ?? {} };
}

function base(s: ConnectionSettings): { clientId: string; bootstrapBrokers: string[]; timeout: number; retries: number; retryDelay: number } & CommandConfig['library'] {
  return { clientId: s.clientId, bootstrapBrokers: s.bootstrap, timeout: s.timeout, retries: 2, retryDelay: 200, ...(s.library ?? {}) };
}

/**
 * A protocol connection (src/client) to the first reachable bootstrap server; an unreachable
 * cluster is reported as "Cannot connect to the cluster at ..." like every other command.
 */
export async function openConnection(s: ConnectionSettings): Promise<KafkaConnection> {
  try {
    return await openFirst(s.bootstrap, { clientId: s.clientId, timeoutMs: Math.min(s.timeout, 10_000), security: s.security });
  } catch (e) {
    if (e instanceof ClientAuthenticationError) throw new CliError(`Authentication failed at ${s.bootstrap.join(',')}: ${e.message}`, 'Check the credentials in --command-config.', { exitCode: ExitCode.FAILED, cause: e });
    throw new CliError(`Cannot connect to the cluster at ${s.bootstrap.join(',')}.`, 'Check that a broker is running there, or pass --bootstrap-server host:port.', { exitCode: ExitCode.FAILED, cause: e });
  }
}

type KafkaModule = typeof import('@platformatic/kafka');
let kafka: Promise<KafkaModule> | undefined;

/**
 * Loads the client library on first use: importing it costs ~0.5 s (it compiles its option
 * schemas), which `--help` and command-line mistakes should not pay.
 */
/**
 * The client library behind produce, consume, perf and topics create/delete/alter. It is an
 * optional dependency, so that embedding the broker installs no client library: without it these
 * commands say how to get it.
 */
export function loadKafka(): Promise<KafkaModule> {
  kafka ??= import('@platformatic/kafka').catch((e: unknown) => {
    kafka = undefined;
    throw new CliError('This command needs the optional dependency @platformatic/kafka, which is not installed.', 'Install it with: npm install @platformatic/kafka', { exitCode: ExitCode.FAILED, cause: e });
  });
  return kafka;
}

export async function createAdmin(s: ConnectionSettings): Promise<Admin> {
  const { Admin } = await loadKafka();
  return new Admin(base(s));
}

export async function createProducer(s: ConnectionSettings, opts: { acks: number; compression?: CompressionName; idempotent?: boolean }): Promise<Producer<Buffer, Buffer, Buffer, Buffer>> {
  const { Producer } = await loadKafka();
  return new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...base(s),
    acks: opts.acks,
    autocreateTopics: false,
    ...(opts.compression && opts.compression !== 'none' ? { compression: opts.compression } : {}),
    ...(opts.idempotent ? { idempotent: true } : {}),
  });
}

export async function createConsumer(s: ConnectionSettings, groupId: string, extra: { maxWaitTime?: number; maxBytes?: number; isolationLevel?: 0 | 1 } = {}): Promise<Consumer<Buffer, Buffer, Buffer, Buffer>> {
  const { Consumer } = await loadKafka();
  return new Consumer<Buffer, Buffer, Buffer, Buffer>({
    ...base(s),
    groupId,
    maxWaitTime: extra.maxWaitTime ?? 500,
    ...(extra.maxBytes !== undefined ? { maxBytes: extra.maxBytes } : {}),
    // Kafka's consumers default to read_uncommitted (the client library's default is read_committed).
    isolationLevel: extra.isolationLevel ?? 0,
    autocommit: false,
  });
}

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSIONS)[number];

export function parseCompression(v: string | undefined): CompressionName {
  if (v === undefined) return 'none';
  const c = v.toLowerCase();
  if (!(COMPRESSIONS as readonly string[]).includes(c)) throw new CliError(`Unknown compression '${v}'.`, `Use one of: ${COMPRESSIONS.join(', ')}.`);
  return c as CompressionName;
}

/** Kafka's acks: 'all' or -1, 0, 1. */
export function parseAcks(v: string | undefined, def = -1): number {
  if (v === undefined) return def;
  if (v === 'all' || v === '-1') return -1;
  if (v === '0' || v === '1') return Number(v);
  throw new CliError(`Invalid --acks '${v}'.`, "Use 0, 1, -1 or 'all'.");
}

/** Closes clients quietly (errors while closing are not the user's problem). */
export async function closeQuietly(...clients: ({ close(): Promise<void> } | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => (c ? c.close().catch(() => undefined) : undefined)));
}
