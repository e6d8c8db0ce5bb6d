/**
 * `samsa configs` — describe and change topic and broker configs, with kafka-configs.sh's flags:
 *
 *   samsa configs --entity-type topics --entity-name T --describe [--all]
 *   samsa configs --entity-type brokers --entity-name 1 --describe
 *   samsa configs --entity-type brokers --entity-default --describe
 *   samsa configs --entity-type broker-loggers --entity-name 1 --describe | --alter --add-config network=DEBUG
 *   samsa configs --entity-type topics --entity-name T --alter --add-config k=v,k2=[a,b] --delete-config k3
 *
 * Speaks the protocol directly with the generated codecs (DescribeConfigs v1, IncrementalAlterConfigs
 * v0, both in every Kafka since 2.3) over one connection to the first bootstrap server; per-broker
 * configs must be asked of that broker itself, as with Kafka.
 */
import { ClientConnectionError, KafkaConnection } from '../client/connection.js';
import { errorInfo } from '../common/error-codes.js';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { runParsed } from './command.js';
import { connectionOptions, connectionSettings, type ConnectionSettings } from './client.js';
import { CliError, ExitCode, formatTable, toJson, writeOut } from './output.js';

const RESOURCE = { topics: 2, brokers: 4, 'broker-loggers': 8 } as const;
type EntityType = keyof typeof RESOURCE;
const SOURCE_NAMES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG'];
const OP = { SET: 0, DELETE: 1 } as const;

const options: readonly OptionSpec[] = [
  { name: 'entity-type', arg: 'topics|brokers|broker-loggers|users', help: 'Kind of entity (broker-loggers: a broker\'s log levels; users: SCRAM credentials, as samsa users)' },
  { name: 'entity-name', arg: 'NAME', help: 'Topic name or broker id' },
  { name: 'entity-default', value: false, help: 'The cluster-wide default (brokers only)' },
  { name: 'topic', arg: 'NAME', help: 'Same as --entity-type topics --entity-name NAME' },
  { name: 'broker', arg: 'ID', help: 'Same as --entity-type brokers --entity-name ID' },
  { name: 'describe', value: false, help: 'Show the configs (dynamic ones only, unless --all)' },
  { name: 'all', value: false, help: 'With --describe: every config, defaults included' },
  { name: 'alter', value: false, help: 'Change configs (with --add-config / --delete-config)' },
  { name: 'add-config', arg: 'K=V,K2=[A,B]', repeat: true, help: 'Configs to set; a list value goes in brackets' },
  { name: 'delete-config', arg: 'K,K2', repeat: true, help: 'Configs to remove (back to their default)' },
  { name: 'validate-only', value: false, help: 'With --alter: let the broker check the change without applying it' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa configs --entity-type topics|brokers|broker-loggers (--entity-name NAME | --entity-default) (--describe [--all] | --alter [--add-config K=V,...] [--delete-config K,...])

Describe or change topic and broker configs (like kafka-configs.sh).

Options:
${formatOptions(options)}

Examples:
  samsa configs --entity-type topics --entity-name orders --describe
  samsa configs --entity-type topics --entity-name orders --alter --add-config retention.ms=3600000,cleanup.policy=[compact,delete]
  samsa configs --entity-type brokers --entity-default --alter --add-config log.retention.ms=86400000
  samsa configs --entity-type brokers --entity-name 1 --alter --delete-config log.retention.ms
  samsa configs --entity-type broker-loggers --entity-name 1 --alter --add-config network=DEBUG,request=DEBUG
`;

interface ConfigOut {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  synonyms: { name: string; value: string | null; source: string }[];
}

/** Splits `k=v,k2=[a,b]` on commas outside brackets. */
export function parseAddConfig(text: string): [string, string][] {
  const out: [string, string][] = [];
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if ((ch === ',' && depth === 0) || i === text.length) {
      const p = text.slice(start, i).trim();
      if (p !== '') parts.push(p);
      start = i + 1;
    }
  }
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--add-config expects key=value pairs, got '${p}'.`, 'Example: --add-config retention.ms=86400000,cleanup.policy=[compact,delete]');
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    out.push([p.slice(0, eq).trim(), v]);
  }
  return out;
}

/** The shared client connection, with its failures reported as CLI errors naming the fix. */
class Connection {
  private constructor(private readonly conn: KafkaConnection) {}

  static async open(s: ConnectionSettings): Promise<Connection> {
    const target = s.bootstrap[0] as string;
    try {
      return new Connection(await KafkaConnection.open(target, { clientId: s.clientId, timeoutMs: s.timeout, security: s.security }));
    } catch (e) {
      throw new CliError(`Cannot connect to the cluster at ${target}: ${(e as Error).message}.`, 'Check that a broker is running there, or pass --bootstrap-server host:port.', { exitCode: ExitCode.FAILED });
    }
  }

  async request<T>(apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<T> {
    try {
      return await this.conn.request<T>(apiKey, version, body, timeoutMs);
    } catch (e) {
      if (e instanceof ClientConnectionError) throw new CliError(`No answer from the broker: ${e.message}.`, 'Raise --timeout for slow clusters.', { exitCode: ExitCode.FAILED });
      throw e;
    }
  }

  close(): void {
    this.conn.close();
  }
}

function entity(a: ParsedArgs): { type: EntityType; name: string; label: string } {
  let type = a.get('entity-type');
  let name = a.get('entity-name');
  if (a.get('topic') !== undefined) {
    type ??= 'topics';
    name ??= a.get('topic');
  }
  if (a.get('broker') !== undefined) {
    type ??= 'brokers';
    name ??= a.get('broker');
  }
  if (type === undefined) throw new CliError('Missing --entity-type (topics or brokers).', "Run 'samsa configs --help' for usage.");
  if (type === 'topic') type = 'topics';
  if (type === 'broker') type = 'brokers';
  if (type === 'broker-logger') type = 'broker-loggers';
  if (type !== 'topics' && type !== 'brokers' && type !== 'broker-loggers') throw new CliError(`Unsupported --entity-type '${type}'.`, 'Use topics, brokers or broker-loggers.');
  if (a.has('entity-default')) {
    if (type !== 'brokers') throw new CliError('--entity-default applies to brokers only.');
    if (name !== undefined) throw new CliError('Use either --entity-name or --entity-default, not both.');
    return { type, name: '', label: 'brokers in the cluster (default)' };
  }
  if (name === undefined || name === '') throw new CliError('Missing --entity-name (or --entity-default for brokers).', "Run 'samsa configs --help' for usage.");
  return { type, name, label: `${type === 'topics' ? 'topic' : type === 'brokers' ? 'broker' : 'broker-logger'} ${name}` };
}

/** A CliError (exit code FAILED) for a Kafka error code a response carried. */
export function kafkaError(code: number, message: string | null, what: string): CliError {
  const name = errorInfo(code).name;
  return new CliError(`${what}: ${name}${message ? ` (${message})` : ''}`, undefined, { exitCode: ExitCode.FAILED });
}

async function describe(conn: Connection, s: ConnectionSettings, e: { type: EntityType; name: string }, all: boolean): Promise<ConfigOut[]> {
  const res = await conn.request<{ results: { errorCode: number; errorMessage: string | null; configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean; synonyms: { name: string; value: string | null; source: number }[] }[] }[] }>(
    32,
    1,
    { resources: [{ resourceType: RESOURCE[e.type], resourceName: e.name, configurationKeys: null }], includeSynonyms: true },
    s.timeout,
  );
  const r = res.results[0];
  if (r === undefined) throw new CliError('The broker sent an empty DescribeConfigs answer.', undefined, { exitCode: ExitCode.FAILED });
  if (r.errorCode !== 0) throw kafkaError(r.errorCode, r.errorMessage, `Cannot describe ${e.type === 'topics' ? 'topic' : 'broker'} '${e.name}'`);
  // Dynamic topic, broker, default broker and broker logger configs.
  const dynamic = new Set([1, 2, 3, 6]);
  return r.configs
    .filter((c) => all || dynamic.has(c.configSource))
    .map((c) => ({
      name: c.name,
      value: c.value,
      source: SOURCE_NAMES[c.configSource] ?? String(c.configSource),
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
      synonyms: c.synonyms.map((y) => ({ name: y.name, value: y.value, source: SOURCE_NAMES[y.source] ?? String(y.source) })),
    }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

async function run(a: ParsedArgs): Promise<number> {
  // SCRAM credentials of users, as kafka-configs.sh --entity-type users (users-command.ts).
  if (a.get('entity-type') === 'users' || a.get('entity-type') === 'user') return (await import('./users-command.js')).runUsersParsed(a);
  const e = entity(a);
  const doDescribe = a.has('describe');
  const doAlter = a.has('alter');
  if (doDescribe === doAlter) throw new CliError('Give exactly one of --describe or --alter.', "Run 'samsa configs --help' for usage.");
  const adds = a.all('add-config').flatMap(parseAddConfig);
  const deletes = a.all('delete-config').flatMap((d) => d.split(',').map((x) => x.trim()).filter((x) => x !== ''));
  if (doAlter && adds.length === 0 && deletes.length === 0) throw new CliError('--alter needs --add-config and/or --delete-config.');
  if (doDescribe && (adds.length > 0 || deletes.length > 0)) throw new CliError('--add-config and --delete-config go with --alter.');
  const s = connectionSettings(a);
  const conn = await Connection.open(s);
  try {
    if (doDescribe) {
      const configs = await describe(conn, s, e, a.has('all'));
      if (a.has('json')) {
        await writeOut(toJson({ entityType: e.type, entityName: e.name, configs }) + '\n');
        return 0;
      }
      const title = e.name === '' ? 'Default configs for brokers in the cluster are:' : `${a.has('all') ? 'All' : 'Dynamic'} configs for ${e.label} are:`;
      const lines = configs.map((c) => `  ${c.name}=${c.sensitive ? '(sensitive)' : (c.value ?? 'null')} sensitive=${c.sensitive} synonyms={${c.synonyms.map((y) => `${y.source}:${y.name}=${y.value ?? 'null'}`).join(', ')}}`);
      await writeOut(`${title}\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
      return 0;
    }
    const ops = [...adds.map(([name, value]) => ({ name, configOperation: OP.SET, value })), ...deletes.map((name) => ({ name, configOperation: OP.DELETE, value: null }))];
    const res = await conn.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(
      44,
      0,
      { resources: [{ resourceType: RESOURCE[e.type], resourceName: e.name, configs: ops }], validateOnly: a.has('validate-only') },
      s.timeout,
    );
    const r = res.responses[0];
    if (r === undefined) throw new CliError('The broker sent an empty IncrementalAlterConfigs answer.', undefined, { exitCode: ExitCode.FAILED });
    if (r.errorCode !== 0) throw kafkaError(r.errorCode, r.errorMessage, `Cannot alter configs of ${e.label}`);
    const what = e.name === '' ? 'default config for brokers in the cluster' : `config for ${e.label}`;
    if (a.has('json')) {
      await writeOut(toJson({ entityType: e.type, entityName: e.name, validateOnly: a.has('validate-only'), set: Object.fromEntries(adds), deleted: deletes }) + '\n');
    } else {
      await writeOut(a.has('validate-only') ? `Validated the update of ${what} (nothing changed).\n` : `Completed updating ${what}.\n`);
      if (adds.length + deletes.length > 1) await writeOut(formatTable(['CONFIG', 'CHANGE'], [...adds.map(([k, v]) => [k, `set ${v}`]), ...deletes.map((k) => [k, 'deleted'])]));
    }
    return 0;
  } finally {
    conn.close();
  }
}

export async function runConfigs(args: string[]): Promise<number> {
  return runParsed('samsa configs', args, options, usage, run);
}
