/**
 * `samsa console --bootstrap-server HOST:PORT [--port 8080] [--host 127.0.0.1] [--metrics URL]
 * [--schema-registry URL] [--connect URL] [--command-config FILE]` serves the web console
 * (src/console) until Ctrl-C. It is a Kafka client: it works against any Kafka-protocol cluster.
 *
 * --command-config takes Kafka's client properties file (kafka-*.sh --command-config, read by
 * command-config.ts): security.protocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL with its
 * sasl.* and ssl.* settings; every connection of the console to the cluster uses it. A file the
 * client cannot honour (GSSAPI, JKS stores) is refused with a message rather than ignored.
 */
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runParsed } from './command.js';
import { connectionSettings } from './client.js';
import { CliError, ExitCode } from './output.js';

const options: readonly OptionSpec[] = [
  ...connectionOptions.filter((o) => o.name !== 'client-id'),
  { name: 'client-id', arg: 'ID', help: 'Client id sent to the brokers', default: 'samsa-console' },
  { name: 'port', arg: 'N', help: 'HTTP port of the console', default: '8080' },
  { name: 'host', arg: 'ADDRESS', help: 'Address the console listens on (0.0.0.0: every interface)', default: '127.0.0.1' },
  { name: 'metrics', arg: 'URL', help: 'A Samsa metrics endpoint (http://host:port/metrics), optional' },
  { name: 'schema-registry', arg: 'URL', help: 'Schema registry URL: the Schemas page, and record values decoded through it' },
  { name: 'connect', arg: 'URL', help: 'Kafka Connect URL (its pages come later; accepted now)' },
  { name: 'command-config', arg: 'FILE', help: "Kafka client properties (security.protocol, sasl.*, ssl.*) for the cluster connection" },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa console --bootstrap-server HOST:PORT [options]

Serves the web console: topics, messages, consumer groups, brokers, configs, ACLs, quotas and
users of a Kafka-protocol cluster, in a browser (and a JSON API under /api, docs/console.md).

Options:
${formatOptions(options)}
`;

function url(v: string | undefined, name: string): string | null {
  if (v === undefined) return null;
  if (!/^https?:\/\/[^\s]+$/.test(v)) throw new CliError(`Invalid --${name} '${v}'.`, 'Give an http:// or https:// URL.');
  return v;
}

export function runConsole(args: string[]): Promise<number> {
  return runParsed('samsa console', args, options, usage, async (a) => {
    if (a.positional.length > 0) throw new CliError(`Unexpected argument '${a.positional[0]}'.`, "Run 'samsa console --help' for usage.");
    const s = connectionSettings(a);
    const port = a.int('port', 0, 65535) ?? 8080;
    const { startConsole } = await import('../console/server.js');
    const running = await startConsole({
      bootstrap: s.bootstrap,
      clientId: a.get('client-id') ?? 'samsa-console',
      host: a.get('host') ?? '127.0.0.1',
      port,
      metricsUrl: url(a.get('metrics'), 'metrics'),
      schemaRegistryUrl: url(a.get('schema-registry'), 'schema-registry'),
      connectUrl: url(a.get('connect'), 'connect'),
      security: s.security,
      onError: (e) => process.stderr.write(`samsa console: request failed: ${e instanceof Error ? e.message : String(e)}\n`),
    }).catch((e: unknown) => {
      throw new CliError(`Cannot start the console on port ${port}: ${(e as Error).message}.`, 'Choose another --port.', { exitCode: ExitCode.FAILED });
    });
    process.stdout.write(`Samsa console on ${running.url} for the cluster at ${s.bootstrap.join(',')}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        running.close().then(resolve, resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  });
}
