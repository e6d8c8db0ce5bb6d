/**
 * `samsa console --bootstrap-server HOST:PORT [--port 8080] [--host 127.0.0.1] [--metrics URL]
 * [--schema-registry URL [--schema-registry-basic-auth USER:PASSWORD]] [--connect URL]
 * [--command-config FILE]` serves the web console (src/console) until Ctrl-C. It is a Kafka
 * client: it works against any Kafka-protocol cluster.
 *
 * --command-config takes Kafka's client properties file (kafka-*.sh --command-config, read by
 * command-config.ts): security.protocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL with its
 * sasl.* and ssl.* settings; every connection of the console to the cluster uses it. A file the
 * client cannot honour (GSSAPI, JKS stores) is refused with a message rather than ignored.
 *
 * The schema registry's login, as Confluent's clients name it in the same file:
 * `basic.auth.credentials.source` USER_INFO with `basic.auth.user.info=user:password` (also
 * `schema.registry.basic.auth.user.info`), URL (the user info of --schema-registry's URL) or
 * SASL_INHERIT (the sasl.jaas.config username and password). Samsa's deviation: without
 * basic.auth.credentials.source, a basic.auth.user.info given is used (Confluent's default source
 * is URL, which would ignore it). --schema-registry-basic-auth wins over the file.
 */
import { readFileSync } from 'node:fs';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runParsed } from './command.js';
import { connectionSettings } from './client.js';
import { CliError, ExitCode } from './output.js';
import { parseProperties } from '../config/properties-file.js';
import { parseJaasConfig } from '../auth/jaas.js';

const options: readonly OptionSpec[] = [
  ...connectionOptions.filter((o) => o.name !== 'client-id'),
  { name: 'client-id', arg: 'ID', help: 'Client id sent to the brokers', default: 'samsa-console' },
  { name: 'port', arg: 'N', help: 'HTTP port of the console', default: '8080' },
  { name: 'host', arg: 'ADDRESS', help: 'Address the console listens on (0.0.0.0: every interface)', default: '127.0.0.1' },
  { name: 'metrics', arg: 'URL', help: 'A Samsa metrics endpoint (http://host:port/metrics), optional' },
  { name: 'schema-registry', arg: 'URL', help: 'Schema registry URL: the Schemas page, and record values decoded through it' },
  { name: 'schema-registry-basic-auth', arg: 'USER:PASSWORD', help: "The schema registry's HTTP basic login (or basic.auth.user.info in --command-config)" },
  { name: 'connect', arg: 'URL', help: 'Kafka Connect REST URL: the Connect pages (http://user:password@host:8083 logs in)' },
  { name: 'command-config', arg: 'FILE', help: "Kafka client properties (security.protocol, sasl.*, ssl.*) for the cluster connection" },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa console --bootstrap-server HOST:PORT [options]

Serves the web console: topics, messages, consumer groups, brokers, configs, ACLs, quotas and
users of a Kafka-protocol cluster, schemas and Connect connectors, in a browser (and a JSON API
under /api, docs/console.md).

Options:
${formatOptions(options)}
`;

const USER_INFO = /^[^:]+:.*$/s;

/** The schema registry's `user:password` from --schema-registry-basic-auth or the --command-config file (null: none, or the URL's). */
export function registryUserInfo(option: string | undefined, commandConfig: string | undefined): string | null {
  if (option !== undefined) {
    if (!USER_INFO.test(option)) throw new CliError('Invalid --schema-registry-basic-auth.', 'Give USER:PASSWORD.');
    return option;
  }
  if (commandConfig === undefined) return null;
  let props: Map<string, string>;
  try {
    props = parseProperties(readFileSync(commandConfig, 'utf8'));
  } catch (e) {
    throw new CliError(`Cannot read --command-config ${commandConfig}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const get = (k: string): string | undefined => {
    const v = props.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const info = get('schema.registry.basic.auth.user.info') ?? get('basic.auth.user.info');
  const source = (get('schema.registry.basic.auth.credentials.source') ?? get('basic.auth.credentials.source') ?? (info !== undefined ? 'USER_INFO' : 'URL')).toUpperCase();
  if (source === 'URL') return null;
  if (source === 'USER_INFO') {
    if (info === undefined || !USER_INFO.test(info)) throw new CliError(`Invalid basic.auth.user.info in --command-config ${commandConfig}: basic.auth.credentials.source=USER_INFO needs basic.auth.user.info=USER:PASSWORD`);
    return info;
  }
  if (source === 'SASL_INHERIT') {
    const jaas = get('sasl.jaas.config');
    let entry;
    try {
      entry = jaas === undefined ? undefined : parseJaasConfig('sasl.jaas.config', jaas).find((e) => e.options.has('username'));
    } catch (e) {
      throw new CliError(`Invalid sasl.jaas.config in --command-config ${commandConfig}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const user = entry?.options.get('username') ?? get('sasl.username');
    const password = entry?.options.get('password') ?? get('sasl.password');
    if (user === undefined || password === undefined) throw new CliError(`Invalid basic.auth.credentials.source in --command-config ${commandConfig}: SASL_INHERIT needs sasl.jaas.config with username and password`);
    return `${user}:${password}`;
  }
  throw new CliError(`Invalid basic.auth.credentials.source in --command-config ${commandConfig}: ${source} (USER_INFO, URL or SASL_INHERIT)`);
}

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
      schemaRegistryUserInfo: registryUserInfo(a.get('schema-registry-basic-auth'), a.get('command-config')),
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
