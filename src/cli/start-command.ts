/**
 * `samsa start [server.properties] [--override key=value]... [--port N] [--data-dir DIR]`
 * Starts a broker in the foreground; SIGINT/SIGTERM shut it down cleanly.
 */
import { readFileSync } from 'node:fs';
import { Broker } from '../broker/broker.js';
import { BrokerConfig } from '../config/broker-config.js';
import { parseProperties } from '../config/properties-file.js';
import { ConfigError } from '../common/errors.js';

export const startUsage = `Usage: samsa start [server.properties] [options]

Starts a Samsa broker in the foreground (Ctrl-C stops it cleanly).

Options:
  --override key=value   Set a broker property (Kafka's names), overriding the file. Repeatable.
  --port N               Shorthand for listeners=PLAINTEXT://:N (default 9092)
  --data-dir DIR         Shorthand for log.dirs=DIR
  -h, --help             Show this help
`;

export function buildStartConfig(args: string[]): BrokerConfig {
  const props = new Map<string, string>();
  const overrides = new Map<string, string>();
  let file: string | null = null;
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
      overrides.set('listeners', `PLAINTEXT://:${p}`);
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
  for (const [k, v] of overrides) props.set(k, v);
  if (!props.has('log.dirs') && !props.has('log.dir')) props.set('log.dirs', './samsa-data');
  return new BrokerConfig(props);
}

export async function runStart(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(startUsage);
    return 0;
  }
  let config: BrokerConfig;
  try {
    config = buildStartConfig(args);
  } catch (e) {
    process.stderr.write(`samsa start: ${(e as Error).message}\n`);
    return 2;
  }
  const broker = new Broker(config);
  try {
    await broker.start();
  } catch (e) {
    process.stderr.write(`samsa start: failed to start: ${(e as Error).message}\n`);
    await broker.stop().catch(() => undefined);
    return 1;
  }
  process.stdout.write(`Samsa broker ${broker.nodeId} is up: ${broker.listeners.map((l) => `${l.name}://${l.advertisedHost}:${l.advertisedPort}`).join(', ')} data in ${config.logDirs.join(', ')}\n`);
  await new Promise<void>((resolve) => {
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
  return 0;
}
