/**
 * `samsa registry` — a standalone schema registry (Confluent's REST API, docs/schema-registry.md)
 * against any Kafka cluster: it keeps its state in the cluster's `_schemas` topic and elects a
 * primary with the other instances of the same group, as Confluent Schema Registry does.
 * Prints "Schema registry on <url>" once it serves; stops on SIGINT/SIGTERM.
 * `--command-config FILE` (Kafka's client properties, command-config.ts): TLS / SASL of its
 * Kafka connections.
 */
import { formatOptions, parseArgs, type OptionSpec } from './args.js';
import { DEFAULT_BOOTSTRAP } from './client.js';
import { readCommandConfig } from './command-config.js';
import { reportError } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'bootstrap-server', aliases: ['-b', '--bootstrap-servers'], arg: 'HOST:PORT[,..]', help: 'Kafka brokers to connect to', default: DEFAULT_BOOTSTRAP },
  { name: 'host', arg: 'HOST', help: 'Address to listen on', default: '127.0.0.1' },
  { name: 'port', arg: 'PORT', help: 'HTTP port (0: any free port)', default: '8081' },
  { name: 'advertised-url', arg: 'URL', help: 'URL other instances forward writes to (default http://host:port)' },
  { name: 'topic', arg: 'NAME', help: 'Topic holding the schemas', default: '_schemas' },
  { name: 'group', arg: 'ID', help: 'Group electing the primary among instances', default: 'schema-registry' },
  { name: 'replication-factor', arg: 'N', help: 'Replication factor when creating the topic (default min(3, brokers))' },
  { name: 'command-config', arg: 'FILE', help: "Kafka client properties (security.protocol, sasl.*, ssl.*) of the registry's Kafka connections" },
  { name: 'no-leader-eligibility', value: false, help: 'Never become the primary (forward every write)' },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa registry [options]

Serves a schema registry compatible with Confluent Schema Registry's REST API, storing its state
in the Kafka cluster (topic _schemas).

Options:
${formatOptions(options)}
`;

export async function runRegistry(args: string[]): Promise<number> {
  try {
    const a = parseArgs('registry', args, options);
    if (a.has('help')) {
      process.stdout.write(usage);
      return 0;
    }
    const { startRegistry } = await import('../registry/registry.js');
    const host = a.get('host') ?? '127.0.0.1';
    const port = a.int('port', 0, 65535) ?? 8081;
    const rf = a.int('replication-factor', 1, 32767);
    const advertised = a.get('advertised-url');
    const file = a.get('command-config');
    const security = file === undefined ? undefined : readCommandConfig(file).security;
    const registry = await startRegistry({
      bootstrap: a.get('bootstrap-server') ?? DEFAULT_BOOTSTRAP,
      listener: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      topic: a.get('topic') ?? '_schemas',
      groupId: a.get('group') ?? 'schema-registry',
      leaderEligibility: !a.has('no-leader-eligibility'),
      ...(rf !== undefined ? { replicationFactor: rf } : {}),
      ...(advertised !== undefined ? { advertisedUrl: advertised } : {}),
      ...(security !== undefined ? { security } : {}),
    });
    process.stdout.write(`Schema registry on ${registry.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.close();
    return 0;
  } catch (e) {
    return reportError('registry', e);
  }
}
