/**
 * `samsa quotas` — describe and change client quotas, with kafka-configs.sh's quota flags:
 *
 *   samsa quotas --describe [--entity-type users|clients|ips [--entity-name N | --entity-default]]
 *   samsa quotas --alter --entity-type clients --entity-name X --add-config producer_byte_rate=1024
 *   samsa quotas --alter --entity-type users --entity-default --delete-config consumer_byte_rate
 *   samsa quotas --alter --user alice --client app1 --add-config request_percentage=50
 *   samsa quotas --alter --entity-type ips --entity-name 10.0.0.7 --add-config connection_creation_rate=20
 *   samsa quotas --alter --ip-defaults --add-config connection_creation_rate=100
 *
 * A (user, client id) pair is named with --user/--user-defaults and --client/--client-defaults (as
 * kafka-configs.sh allows), or with --entity-type given twice and names in the same order. An ip
 * entity (--entity-type ips, or --ip ADDRESS / --ip-defaults) stands alone; its one quota is
 * connection_creation_rate (connections per second from the address, KIP-612).
 * Speaks DescribeClientQuotas v0 / AlterClientQuotas v0 (Kafka 2.6+) to the first bootstrap server.
 * Describe without an entity lists every entity with quotas; with one, the entities made of exactly
 * those types (a name matches that name, a default the default, no name any name).
 */
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { runParsed } from './command.js';
import { connectionOptions, connectionSettings, openConnection } from './client.js';
import { kafkaError, parseAddConfig } from './configs-command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

type EntityType = 'user' | 'client-id' | 'ip';
const TYPES: Record<string, EntityType> = { users: 'user', user: 'user', clients: 'client-id', client: 'client-id', ips: 'ip', ip: 'ip' };
const LABEL: Record<EntityType, string> = { user: 'user-principal', 'client-id': 'client-id', ip: 'ip' };
const MATCH = { exact: 0, default: 1, any: 2 } as const;

const options: readonly OptionSpec[] = [
  { name: 'entity-type', arg: 'users|clients|ips', repeat: true, help: 'Kind of entity (twice for a user and client id pair)' },
  { name: 'entity-name', arg: 'NAME', repeat: true, help: 'User principal name, client id or IP address, in the order of --entity-type' },
  { name: 'entity-default', value: false, help: 'The default entity of the (last) --entity-type without a name' },
  { name: 'user', arg: 'NAME', help: 'A user principal name (same as --entity-type users --entity-name NAME)' },
  { name: 'user-defaults', value: false, help: 'The default user' },
  { name: 'client', arg: 'ID', help: 'A client id (same as --entity-type clients --entity-name ID)' },
  { name: 'client-defaults', value: false, help: 'The default client id' },
  { name: 'ip', arg: 'ADDRESS', help: 'An IP address (same as --entity-type ips --entity-name ADDRESS)' },
  { name: 'ip-defaults', value: false, help: 'The default ip entity (every address without its own quota)' },
  { name: 'describe', value: false, help: 'Show quotas' },
  { name: 'alter', value: false, help: 'Change quotas (with --add-config / --delete-config)' },
  { name: 'add-config', arg: 'K=V,K2=V2', repeat: true, help: 'Quotas to set: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate (users, clients); connection_creation_rate (ips)' },
  { name: 'delete-config', arg: 'K,K2', repeat: true, help: 'Quotas to remove' },
  { name: 'validate-only', value: false, help: 'With --alter: let the broker check the change without applying it' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa quotas (--describe | --alter [--add-config K=V,...] [--delete-config K,...]) [ENTITY]

Describe or change client quotas of users, client ids and IP addresses (like kafka-configs.sh
--entity-type users|clients|ips).
ENTITY: --entity-type users|clients|ips (--entity-name NAME | --entity-default), given twice for a
        user and client id pair, or --user NAME | --user-defaults and/or --client ID | --client-defaults,
        or --ip ADDRESS | --ip-defaults.

Options:
${formatOptions(options)}

Examples:
  samsa quotas --alter --entity-type clients --entity-name app1 --add-config producer_byte_rate=1048576
  samsa quotas --alter --entity-type users --entity-default --add-config consumer_byte_rate=2097152
  samsa quotas --alter --user alice --client app1 --add-config request_percentage=50
  samsa quotas --describe --entity-type clients
  samsa quotas --alter --entity-type ips --entity-name 10.0.0.7 --add-config connection_creation_rate=20
  samsa quotas --alter --entity-type ips --entity-default --add-config connection_creation_rate=100
  samsa quotas --describe
`;

type Part = { entityType: EntityType; entityName: string | null | undefined };

/** The entity parts named on the command line (entityName undefined: no name given, for describe). */
export function entityOfArgs(a: ParsedArgs): Part[] {
  const parts: Part[] = [];
  if (a.has('user') || a.has('user-defaults')) parts.push({ entityType: 'user', entityName: a.has('user-defaults') ? null : (a.get('user') as string) });
  if (a.has('client') || a.has('client-defaults')) parts.push({ entityType: 'client-id', entityName: a.has('client-defaults') ? null : (a.get('client') as string) });
  if (a.has('ip') || a.has('ip-defaults')) parts.push({ entityType: 'ip', entityName: a.has('ip-defaults') ? null : (a.get('ip') as string) });
  const types = a.all('entity-type');
  const names = a.all('entity-name');
  if (types.length > 0 && parts.length > 0) throw new CliError('Use either --entity-type or --user/--client/--ip, not both.');
  if (names.length > types.length) throw new CliError('More --entity-name than --entity-type.');
  types.forEach((t, i) => {
    const entityType = TYPES[t];
    if (entityType === undefined) throw new CliError(`Unsupported --entity-type '${t}' for quotas.`, 'Use users, clients or ips (samsa configs handles topics and brokers).');
    parts.push({ entityType, entityName: names[i] ?? (a.has('entity-default') ? null : undefined) });
  });
  if (types.length > 1 && names.length < types.length - 1 && a.has('entity-default')) throw new CliError('--entity-default names the default of one --entity-type only; name the others.');
  const seen = new Set(parts.map((p) => p.entityType));
  if (seen.size !== parts.length) throw new CliError('An entity names each of users and clients at most once.');
  if (seen.has('ip') && parts.length > 1) throw new CliError('An ip entity stands alone: it cannot be combined with users or clients.');
  // Kafka writes the user first.
  return parts.sort((x, y) => (x.entityType === y.entityType ? 0 : x.entityType === 'user' ? -1 : 1));
}

function describeEntity(parts: readonly { entityType: string; entityName: string | null }[]): string {
  return parts.map((p) => `${LABEL[p.entityType as EntityType] ?? p.entityType} ${p.entityName === null ? '<default>' : `'${p.entityName}'`}`).join(', ');
}

async function run(a: ParsedArgs): Promise<number> {
  const doDescribe = a.has('describe');
  const doAlter = a.has('alter');
  if (doDescribe === doAlter) throw new CliError('Give exactly one of --describe or --alter.', "Run 'samsa quotas --help' for usage.");
  const parts = entityOfArgs(a);
  const adds = a.all('add-config').flatMap(parseAddConfig);
  const deletes = a.all('delete-config').flatMap((d) => d.split(',').map((x) => x.trim()).filter((x) => x !== ''));
  const s = connectionSettings(a);
  if (doDescribe) {
    if (adds.length > 0 || deletes.length > 0) throw new CliError('--add-config and --delete-config go with --alter.');
    const conn = await openConnection(s);
    try {
      const components = parts.map((p) => ({ entityType: p.entityType, matchType: p.entityName === undefined ? MATCH.any : p.entityName === null ? MATCH.default : MATCH.exact, match: p.entityName ?? null }));
      const res = await conn.request<{ errorCode: number; errorMessage: string | null; entries: { entity: { entityType: string; entityName: string | null }[]; values: { key: string; value: number }[] }[] | null }>(
        48,
        0,
        { components, strict: parts.length > 0 },
        s.timeout,
      );
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, res.errorMessage, 'Cannot describe client quotas');
      const entries = (res.entries ?? []).map((e) => ({ entity: e.entity, quotas: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }));
      entries.sort((x, y) => describeEntity(x.entity).localeCompare(describeEntity(y.entity)));
      if (a.has('json')) {
        await writeOut(toJson({ entries }) + '\n');
        return 0;
      }
      const lines = entries.map((e) => `Quota configs for ${describeEntity(e.entity)} are ${Object.entries(e.quotas).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      await writeOut(lines.length > 0 ? `${lines.join('\n')}\n` : 'No client quotas match.\n');
      return 0;
    } finally {
      conn.close();
    }
  }
  if (parts.length === 0) throw new CliError('--alter needs an entity: --entity-type users|clients|ips with --entity-name or --entity-default.', "Run 'samsa quotas --help' for usage.");
  const missing = parts.find((p) => p.entityName === undefined);
  if (missing !== undefined) throw new CliError(`Missing --entity-name (or --entity-default) for --entity-type ${missing.entityType === 'user' ? 'users' : missing.entityType === 'ip' ? 'ips' : 'clients'}.`);
  if (adds.length === 0 && deletes.length === 0) throw new CliError('--alter needs --add-config and/or --delete-config.');
  const ops = [
    ...adds.map(([key, v]) => {
      const value = Number(v);
      if (v.trim() === '' || !Number.isFinite(value)) throw new CliError(`Quota ${key} needs a number, got '${v}'.`);
      return { key, value, remove: false };
    }),
    ...deletes.map((key) => ({ key, value: 0, remove: true })),
  ];
  const entity = parts.map((p) => ({ entityType: p.entityType, entityName: p.entityName ?? null }));
  const conn = await openConnection(s);
  try {
    const res = await conn.request<{ entries: { errorCode: number; errorMessage: string | null }[] }>(49, 0, { entries: [{ entity, ops }], validateOnly: a.has('validate-only') }, s.timeout);
    const r = res.entries[0];
    if (r === undefined) throw new CliError('The broker sent an empty AlterClientQuotas answer.', undefined, { exitCode: ExitCode.FAILED });
    if (r.errorCode !== 0) throw kafkaError(r.errorCode, r.errorMessage, `Cannot alter quotas of ${describeEntity(entity)}`);
    if (a.has('json')) await writeOut(toJson({ entity, validateOnly: a.has('validate-only'), set: Object.fromEntries(adds.map(([k, v]) => [k, Number(v)])), deleted: deletes }) + '\n');
    else await writeOut(a.has('validate-only') ? `Validated the quota update of ${describeEntity(entity)} (nothing changed).\n` : `Completed updating quotas of ${describeEntity(entity)}.\n`);
    return 0;
  } finally {
    conn.close();
  }
}

export async function runQuotas(args: string[]): Promise<number> {
  return runParsed('samsa quotas', args, options, usage, run);
}
