/**
 * `samsa start [server.properties] [--override key=value]... [--listeners L] [--port N] [--data-dir DIR]`
 * Starts a broker in the foreground; SIGINT/SIGTERM shut it down cleanly.
 *
 * Kafka's default listener is PLAINTEXT://:9092 (every interface). Samsa's default is
 * PLAINTEXT://127.0.0.1:9092: a broker started without configuration is reachable from this
 * machine only, and the banner says how to open it up (a config file or --listeners).
 */
import { readFileSync } from 'node:fs';
import { Broker } from '../broker/broker.js';
import { BrokerConfig, parseListener } from '../config/broker-config.js';
import { parseProperties } from '../config/properties-file.js';
import { ConfigError } from '../common/errors.js';
import { envToProperty, propertiesFromEnv } from '../config/env-config.js';
import { Logger } from '../common/logger.js';
import { installGcHeadroom } from '../common/gc-headroom.js';

export const startUsage = `Usage: samsa start [server.properties] [options]

Starts a Samsa broker in the foreground (Ctrl-C stops it cleanly).

Options:
  --override key=value   Set a broker property (Kafka's names), overriding the file. Repeatable.
  --listeners LIST       Shorthand for listeners=LIST, e.g. PLAINTEXT://0.0.0.0:9092 to accept
                         connections from other machines (default PLAINTEXT://127.0.0.1:9092,
                         this machine only)
  --port N               Set the port of the (single) listener, keeping its host
                         (without other listener settings: PLAINTEXT://127.0.0.1:N)
  --data-dir DIR         Shorthand for log.dirs=DIR
  --console              Serve the web console too (console.listeners=http://127.0.0.1:8080
                         unless console.listeners is set)
  -h, --help             Show this help

Environment: SAMSA_<NAME> sets a broker property the way Kafka's Docker images map KAFKA_<NAME>
(SAMSA_NODE_ID=1 → node.id=1, SAMSA_ETCD_ENDPOINTS → etcd.endpoints; '__' → '_', '___' → '-'),
over the properties file and under --override.
`;

/**
 * The broker config of `samsa start`: the properties file, then SAMSA_* environment variables
 * (Kafka's Docker image mapping, env-config.ts), then --override and the shorthands.
 */
export function buildStartConfig(args: string[], env: Readonly<Record<string, string | undefined>> = {}): BrokerConfig {
  const props = new Map<string, string>();
  const overrides = new Map<string, string>();
  let file: string | null = null;
  let port: string | null = null;
  let wantConsole = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new ConfigError(a, `${a} needs a value`);
      return v;
    };
    if (a === '--override') {
      const kv = next();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigError(kv, `--override expects key=value, got '${kv}'`);
      overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (a.startsWith('--override=')) {
      const kv = a.slice('--override='.length);
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigError(kv, `--override expects key=value, got '${kv}'`);
      overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (a === '--port') {
      const p = next();
      if (!/^\d+$/.test(p) || Number(p) > 65535) throw new ConfigError('--port', `Invalid port '${p}'`);
      port = p;
    } else if (a === '--listeners') {
      overrides.set('listeners', next());
    } else if (a.startsWith('--listeners=')) {
      overrides.set('listeners', a.slice('--listeners='.length));
    } else if (a === '--console') {
      wantConsole = true;
    } else if (a === '--data-dir') {
      overrides.set('log.dirs', next());
    } else if (a.startsWith('-')) {
      throw new ConfigError(a, `Unknown option '${a}'. Run 'samsa start --help'.`);
    } else if (file === null) {
      file = a;
    } else {
      throw new ConfigError(a, `Unexpected argument '${a}'`);
    }
  }
  if (file !== null) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, `Cannot read properties file ${file}: ${(e as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) props.set(k, v);
  }
  for (const [k, v] of propertiesFromEnv(env).properties) props.set(k, v);
  for (const [k, v] of overrides) props.set(k, v);
  if (port !== null) props.set('listeners', withPort(props.get('listeners'), port));
  if (!props.has('log.dirs') && !props.has('log.dir')) props.set('log.dirs', './samsa-data');
  if (wantConsole && !props.has('console.listeners')) props.set('console.listeners', 'http://127.0.0.1:8080');
  return new BrokerConfig(props);
}

/** `--port N` applied to the configured listeners (or to the default, localhost-only one). */
function withPort(listeners: string | undefined, port: string): string {
  if (listeners === undefined) return `PLAINTEXT://127.0.0.1:${port}`;
  const list = listeners.split(',').map((l) => l.trim()).filter((l) => l !== '');
  const only = list[0];
  if (list.length !== 1 || only === undefined) {
    throw new ConfigError('--port', `--port is ambiguous with ${list.length} listeners (${listeners}); set the ports in listeners instead`);
  }
  const l = parseListener('listeners', only);
  return `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${port}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** The banner's second line: whether other machines can connect, and how to change that. */
export function reachabilityNote(listeners: readonly { host: string; port: number }[]): string {
  if (listeners.every((l) => LOOPBACK.test(l.host))) {
    const port = listeners[0]?.port ?? 9092;
    return `Listening on localhost only: other machines cannot connect. To open it up, set listeners=PLAINTEXT://0.0.0.0:${port} (and advertised.listeners=PLAINTEXT://<host name>:${port}) in a config file, or pass --listeners PLAINTEXT://0.0.0.0:${port}`;
  }
  return `Listening on ${listeners.map((l) => (l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? `all interfaces port ${l.port}` : `${l.host}:${l.port}`)).join(', ')} without encryption or authentication`;
}

export async function runStart(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(startUsage);
    return 0;
  }
  let config: BrokerConfig;
  try {
    for (const name of propertiesFromEnv(process.env).ignored) process.stderr.write(`samsa start: ignoring ${name}: ${envToProperty(name) ?? name} is not a broker setting\n`);
    config = buildStartConfig(args, process.env);
  } catch (e) {
    process.stderr.write(`samsa start: ${(e as Error).message}\n`);
    return 2;
  }
  // Log lines go to stderr: JSON lines, or pino-pretty's on a terminal (log.format=auto), or as log.format says.
  const format = config.str('log.format');
  // The process is the broker's: V8's old-generation headroom is set here (gc-headroom.ts).
  const gcHeadroom = installGcHeadroom(config.int('gc.old.generation.headroom.mb'));
  const broker = new Broker(config, { logger: new Logger(format === 'json' || format === 'pretty' ? { format } : {}) });
  try {
    await broker.start();
  } catch (e) {
    process.stderr.write(`samsa start: failed to start: ${(e as Error).message}\n`);
    await broker.stop().catch(() => undefined);
    gcHeadroom.close();
    return 1;
  }
  const metrics = broker.observability?.listeners.map((l) => `${l.url}/metrics`) ?? [];
  process.stdout.write(`Samsa broker ${broker.nodeId} is up: ${broker.listeners.map((l) => `${l.name}://${l.advertisedHost}:${l.advertisedPort}${l.advertisedPort !== l.port ? ` (bound to port ${l.port})` : ''}`).join(', ')} data in ${config.logDirs.join(', ')}\n${reachabilityNote(broker.listeners)}\n${metrics.length > 0 ? `Metrics on ${metrics.join(', ')}\n` : ''}${broker.console ? `Console on ${broker.console.url}\n` : ''}`);
  broker.schemaRegistry?.then((r) => process.stdout.write(`Schema registry on ${r.url}\n`), () => undefined);
  let halted = false;
  await new Promise<void>((resolve) => {
    // Every log dir failed: the broker stopped itself (Kafka halts the process); exit 1.
    broker.onHalt(() => {
      halted = true;
      resolve();
    });
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`Received ${sig}, shutting down\n`);
      broker.stop().then(resolve, (e: unknown) => {
        process.stderr.write(`shutdown error: ${String(e)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // The broker has stopped (logs flushed, locks released). The etcd client can keep a socket
  // open for a while after it is closed; do not let it hold the process.
  gcHeadroom.close();
  setTimeout(() => process.exit(halted ? 1 : 0), 2000).unref();
  return halted ? 1 : 0;
}
