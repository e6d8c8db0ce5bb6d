/**
 * `samsa rest --bootstrap-server host:port [--port 8082]`: Confluent's REST Proxy API (src/rest/)
 * as a standalone process in front of any Kafka-protocol cluster, in the foreground until
 * SIGINT/SIGTERM. Prints "REST proxy listening on http://host:port" once it serves requests.
 * `--command-config FILE` (Kafka's client properties, command-config.ts) is the security of the
 * proxy's own connections: its TLS settings apply to every connection, its SASL login to every
 * request unless `--sasl-mechanism` is given, which makes each request's HTTP basic credentials
 * the SASL login (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) of that user's own connections.
 */
import { CLIENT_SASL_MECHANISMS } from '../client/client-security.js';
import { Logger } from '../common/logger.js';
import { RestProxy } from '../rest/server.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions, connectionSettings } from './client.js';
import { runParsed } from './command.js';
import { CliError, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  ...connectionOptions.filter((o) => o.name !== 'timeout'),
  { name: 'host', arg: 'HOST', help: 'Address to listen on', default: '127.0.0.1' },
  { name: 'port', arg: 'PORT', help: 'HTTP port (0: any free port)', default: '8082' },
  { name: 'schema-registry-url', arg: 'URL', help: 'Schema registry for avro, jsonschema and protobuf (schema.registry.url)' },
  { name: 'consumer-instance-timeout-ms', arg: 'MS', help: 'Idle consumer instances are deleted after this (consumer.instance.timeout.ms)', default: '300000' },
  { name: 'consumer-request-timeout-ms', arg: 'MS', help: 'Default wait of GET records (consumer.request.timeout.ms)', default: '1000' },
  { name: 'max-request-bytes', arg: 'N', help: 'Largest request body', default: '67108864' },
  { name: 'max-consumer-instances', arg: 'N', help: 'Consumer instances at most', default: '1000' },
  { name: 'sasl-mechanism', arg: 'MECHANISM', help: 'Require HTTP basic credentials and log in to Kafka with them (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512), one connection set per user' },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa rest --bootstrap-server HOST:PORT [--port 8082] [options]

Serves Confluent's REST Proxy API (v2 produce/consume, v3 admin) for a Kafka cluster (docs/rest-proxy.md).

Options:
${formatOptions(options)}
`;

export function runRest(args: string[]): Promise<number> {
  return runParsed('samsa rest', args, options, usage, async (a) => {
    const s = connectionSettings(a);
    const given = a.get('sasl-mechanism')?.toUpperCase();
    const mechanism = CLIENT_SASL_MECHANISMS.find((m) => m === given);
    if (given !== undefined && mechanism === undefined) throw new CliError(`Unsupported --sasl-mechanism '${given}'.`, `One of ${CLIENT_SASL_MECHANISMS.join(', ')}.`);
    // The file's TLS always; its SASL login only when HTTP users do not bring their own.
    const security = s.security === undefined ? undefined : mechanism === undefined ? s.security : s.security.tls !== undefined ? { tls: s.security.tls } : undefined;
    const logger = new Logger();
    const proxy = await RestProxy.start({
      bootstrap: s.bootstrap,
      clientId: a.get('client-id') === 'samsa-cli' ? 'samsa-rest-proxy' : s.clientId,
      host: a.get('host') ?? '127.0.0.1',
      port: a.int('port', 0, 65535) ?? 8082,
      schemaRegistryUrl: a.get('schema-registry-url') ?? null,
      consumerInstanceTimeoutMs: a.int('consumer-instance-timeout-ms', 1) ?? 300_000,
      consumerRequestTimeoutMs: a.int('consumer-request-timeout-ms', 0, 60_000) ?? 1_000,
      maxRequestBytes: a.int('max-request-bytes', 1024) ?? 64 * 1024 * 1024,
      maxConsumerInstances: a.int('max-consumer-instances', 1) ?? 1_000,
      sasl: mechanism ?? null,
      ...(security !== undefined ? { security } : {}),
      logger,
    });
    writeOut(`REST proxy listening on ${proxy.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await proxy.close();
    return 0;
  });
}
