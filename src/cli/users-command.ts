/**
 * `samsa users` — SCRAM credentials of users, as kafka-configs.sh manages them with
 * `--entity-type users` (also reached as `samsa configs --entity-type users`):
 *
 *   samsa users --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' --entity-name alice
 *   samsa users --alter --delete-config SCRAM-SHA-512 --entity-name alice
 *   samsa users --describe [--entity-name alice]
 *
 * Kafka's rules (kafka-configs.sh, KIP-554): the password never travels; the tool salts it (a
 * random salt) and sends the salted password (Hi = PBKDF2 with the mechanism's HMAC) in
 * AlterUserScramCredentials; iterations default to 4096 (the broker accepts 4096 to 16384);
 * DescribeUserScramCredentials lists each user's mechanisms and iterations, never the keys.
 * Samsa's deviation: quota configs of users are managed by `samsa quotas`, so an --add-config key
 * other than SCRAM-SHA-256 / SCRAM-SHA-512 is refused with a pointer to it.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import type { KafkaConnection } from '../client/connection.js';
import { errorInfo } from '../common/error-codes.js';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { connectionOptions, openConnection, connectionSettings } from './client.js';
import { runParsed } from './command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

const ALTER_USER_SCRAM_CREDENTIALS = 51;
const DESCRIBE_USER_SCRAM_CREDENTIALS = 50;
const MECHANISMS = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;
type Mechanism = keyof typeof MECHANISMS;
const MECHANISM_NAMES = new Map<number, Mechanism>([
  [1, 'SCRAM-SHA-256'],
  [2, 'SCRAM-SHA-512'],
]);
/** Kafka's default iterations when --add-config gives none. */
const DEFAULT_ITERATIONS = 4096;

export const usersOptions: readonly OptionSpec[] = [
  { name: 'entity-type', arg: 'users', help: 'Accepted for kafka-configs.sh compatibility (must be users)' },
  { name: 'entity-name', aliases: ['--user'], arg: 'NAME', help: 'The user' },
  { name: 'describe', value: false, help: 'List the SCRAM credentials (of one user, or of all)' },
  { name: 'alter', value: false, help: 'Change credentials (with --add-config / --delete-config)' },
  { name: 'add-config', arg: "'SCRAM-SHA-256=[iterations=N,password=P]'", repeat: true, help: 'Credentials to set (SCRAM-SHA-256 and/or SCRAM-SHA-512)' },
  { name: 'delete-config', arg: 'SCRAM-SHA-256,SCRAM-SHA-512', repeat: true, help: 'Credentials to remove' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa users (--describe [--entity-name USER] | --alter --entity-name USER [--add-config ...] [--delete-config ...])

SCRAM credentials of users (like kafka-configs.sh --entity-type users).

Options:
${formatOptions(usersOptions)}

Examples:
  samsa users --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' --entity-name alice
  samsa users --alter --add-config 'SCRAM-SHA-512=[password=alice-secret]' --entity-name alice --command-config admin.properties
  samsa users --alter --delete-config SCRAM-SHA-512 --entity-name alice
  samsa users --describe --entity-name alice
`;

interface Upsertion {
  mechanism: Mechanism;
  iterations: number;
  password: string;
}

/** Parses `SCRAM-SHA-256=[iterations=8192,password=secret],SCRAM-SHA-512=[password=secret]`. */
export function parseScramConfig(text: string): Upsertion[] {
  const out: Upsertion[] = [];
  const re = /\s*([^=,\s]+)\s*=\s*(?:\[([^\]]*)\]|([^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while (end < text.length && (m = re.exec(text)) !== null) {
    end = re.lastIndex;
    const key = (m[1] as string).toUpperCase();
    if (!(key in MECHANISMS)) throw new CliError(`--add-config ${m[1] as string} is not a SCRAM mechanism.`, "Use SCRAM-SHA-256 or SCRAM-SHA-512 (user quotas are set with 'samsa quotas').");
    if (m[2] === undefined) throw new CliError(`--add-config ${key} expects ${key}=[iterations=N,password=P], got '${m[0].trim()}'.`);
    const fields = new Map<string, string>();
    const body = m[2];
    // The password may itself contain commas: everything after password= that is not another known field.
    for (const part of body.split(/,(?=\s*(?:iterations|password)=)/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new CliError(`--add-config ${key} expects [iterations=N,password=P], got '${body}'.`);
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1));
    }
    const password = fields.get('password');
    if (password === undefined || password === '') throw new CliError(`--add-config ${key} needs a password: ${key}=[password=...].`);
    const iterText = fields.get('iterations');
    const iterations = iterText === undefined ? DEFAULT_ITERATIONS : Number(iterText.trim());
    if (!Number.isInteger(iterations) || iterations <= 0) throw new CliError(`--add-config ${key}: iterations must be a positive integer, got '${iterText ?? ''}'.`);
    out.push({ mechanism: key as Mechanism, iterations, password });
  }
  if (end < text.length || out.length === 0) throw new CliError(`Cannot parse --add-config '${text}'.`, "Example: --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]'");
  return out;
}

/** What kafka-configs.sh sends for a password: a random salt and Hi(password, salt, iterations). */
function salted(u: Upsertion): { salt: Buffer; saltedPassword: Buffer } {
  const salt = randomBytes(24);
  const [hash, length] = u.mechanism === 'SCRAM-SHA-256' ? (['sha256', 32] as const) : (['sha512', 64] as const);
  return { salt, saltedPassword: pbkdf2Sync(u.password, salt, u.iterations, length, hash) };
}

function failure(what: string, code: number, message: string | null): CliError {
  return new CliError(`${what}: ${errorInfo(code).name}${message ? ` (${message})` : ''}`, undefined, { exitCode: ExitCode.FAILED });
}

async function alter(conn: KafkaConnection, a: ParsedArgs, user: string, timeout: number): Promise<number> {
  const adds = a.all('add-config').flatMap(parseScramConfig);
  const deletes = a.all('delete-config').flatMap((d) => d.split(',').map((x) => x.trim().toUpperCase()).filter((x) => x !== ''));
  for (const d of deletes) if (!(d in MECHANISMS)) throw new CliError(`--delete-config ${d} is not a SCRAM mechanism.`, "Use SCRAM-SHA-256 or SCRAM-SHA-512 (user quotas are removed with 'samsa quotas').");
  if (adds.length === 0 && deletes.length === 0) throw new CliError('--alter needs --add-config and/or --delete-config.');
  const res = await conn.request<{ results: { user: string; errorCode: number; errorMessage: string | null }[] }>(
    ALTER_USER_SCRAM_CREDENTIALS,
    0,
    {
      deletions: deletes.map((d) => ({ name: user, mechanism: MECHANISMS[d as Mechanism] })),
      upsertions: adds.map((u) => ({ name: user, mechanism: MECHANISMS[u.mechanism], iterations: u.iterations, ...salted(u) })),
    },
    timeout,
  );
  const bad = res.results.find((r) => r.errorCode !== 0);
  if (bad !== undefined) throw failure(`Cannot alter the SCRAM credentials of user ${user}`, bad.errorCode, bad.errorMessage);
  if (a.has('json')) await writeOut(toJson({ user, set: adds.map((u) => ({ mechanism: u.mechanism, iterations: u.iterations })), deleted: deletes }) + '\n');
  else await writeOut(`Completed updating config for user ${user}.\n`);
  return 0;
}

async function describe(conn: KafkaConnection, a: ParsedArgs, user: string | undefined, timeout: number): Promise<number> {
  const res = await conn.request<{ errorCode: number; errorMessage: string | null; results: { user: string; errorCode: number; errorMessage: string | null; credentialInfos: { mechanism: number; iterations: number }[] }[] }>(
    DESCRIBE_USER_SCRAM_CREDENTIALS,
    0,
    { users: user === undefined ? null : [{ name: user }] },
    timeout,
  );
  if (res.errorCode !== 0) throw failure('Cannot describe SCRAM credentials', res.errorCode, res.errorMessage);
  const users = res.results
    .filter((r) => r.errorCode === 0)
    .map((r) => ({ user: r.user, credentials: r.credentialInfos.map((c) => ({ mechanism: MECHANISM_NAMES.get(c.mechanism) ?? `mechanism ${c.mechanism}`, iterations: c.iterations })) }))
    .sort((x, y) => x.user.localeCompare(y.user));
  const missing = res.results.find((r) => r.errorCode !== 0);
  // RESOURCE_NOT_FOUND for a named user without credentials: Kafka's tool prints nothing for it.
  if (missing !== undefined && missing.errorCode !== 91) throw failure(`Cannot describe the SCRAM credentials of user ${missing.user}`, missing.errorCode, missing.errorMessage);
  if (a.has('json')) {
    await writeOut(toJson({ users }) + '\n');
    return 0;
  }
  const lines = users.map((u) => `SCRAM credential configs for user-principal '${u.user}' are ${u.credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}`);
  await writeOut(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return 0;
}

/** `samsa users`, and `samsa configs --entity-type users` (same options). */
export async function runUsersParsed(a: ParsedArgs): Promise<number> {
  const type = a.get('entity-type');
  if (type !== undefined && type !== 'users' && type !== 'user') throw new CliError(`--entity-type ${type} is not users.`, "Topic and broker configs are set with 'samsa configs'.");
  const doDescribe = a.has('describe');
  const doAlter = a.has('alter');
  if (doDescribe === doAlter) throw new CliError('Give exactly one of --describe or --alter.', "Run 'samsa users --help' for usage.");
  const user = a.get('entity-name');
  if (doAlter && (user === undefined || user === '')) throw new CliError('--alter needs --entity-name USER.');
  if (doDescribe && (a.all('add-config').length > 0 || a.all('delete-config').length > 0)) throw new CliError('--add-config and --delete-config go with --alter.');
  const s = connectionSettings(a);
  const conn = await openConnection(s);
  try {
    return doAlter ? await alter(conn, a, user as string, s.timeout) : await describe(conn, a, user, s.timeout);
  } finally {
    conn.close();
  }
}

export async function runUsers(args: string[]): Promise<number> {
  return runParsed('samsa users', args, usersOptions, usage, runUsersParsed);
}
