/**
 * `samsa groups` — consumer group administration with kafka-consumer-groups.sh's flags:
 *
 *   samsa groups --list                                     (or: samsa groups list)
 *   samsa groups --describe --group G [--offsets | --members [--verbose] | --state]
 *   samsa groups --reset-offsets --group G --topic T[:P,..] | --all-topics  <spec> [--dry-run | --execute]
 *   samsa groups --delete --group G ...   |   --delete-offsets --group G --topic T[:P,..]
 *   --all-groups in place of --group for --describe, --delete and --reset-offsets.
 *
 * Kafka's behaviour kept: a group the coordinator does not know is reported as "Consumer group 'G'
 * does not exist." (exit 1); offsets are reset only while the group is inactive (Empty or Dead);
 * without --execute a reset is a dry run. Output adds --json; errors never print stack traces.
 */
import { GroupAdmin, type GroupInfo, type OffsetRow } from '../client/group-admin.js';
import { errorName } from '../common/error-codes.js';
import { formatOptions, parseArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { connectionOptions, connectionSettings, openConnection, type ConnectionSettings } from './client.js';
import { planReset, RESET_SPECS } from './groups-reset.js';
import { CliError, ExitCode, formatTable, reportError, toJson, writeOut, type Cell } from './output.js';

const ACTIONS = ['list', 'describe', 'delete', 'delete-offsets', 'reset-offsets'] as const;
type Action = (typeof ACTIONS)[number];

const options: readonly OptionSpec[] = [
  { name: 'list', value: false, help: 'List all consumer groups' },
  { name: 'describe', value: false, help: 'Describe groups: offsets and lag (default), --members or --state' },
  { name: 'delete', value: false, help: 'Delete groups (they must have no members)' },
  { name: 'delete-offsets', value: false, help: "Delete a group's committed offsets for --topic" },
  { name: 'reset-offsets', value: false, help: "Reset a group's committed offsets (dry run unless --execute)" },
  { name: 'group', aliases: ['-g'], arg: 'GROUP', repeat: true, help: 'Group to act on, repeatable' },
  { name: 'all-groups', value: false, help: 'Act on every group (--describe, --delete, --reset-offsets)' },
  { name: 'topic', aliases: ['-t'], arg: 'TOPIC[:P,..]', repeat: true, help: 'Topic, or topic:partitions, for --reset-offsets and --delete-offsets' },
  { name: 'all-topics', value: false, help: 'With --reset-offsets: every partition the group has committed' },
  { name: 'offsets', value: false, help: 'With --describe: committed offset, log end and lag per partition (default)' },
  { name: 'members', value: false, help: 'With --describe: the members' },
  { name: 'verbose', value: false, help: 'With --members: each member\'s assigned partitions' },
  { name: 'state', value: false, help: 'With --describe: coordinator, assignment strategy, state and member count' },
  { name: 'to-earliest', value: false, help: 'Reset to the log start offset' },
  { name: 'to-latest', value: false, help: 'Reset to the log end offset' },
  { name: 'to-current', value: false, help: 'Reset to the committed offset (log end where none)' },
  { name: 'to-offset', arg: 'N', help: 'Reset to offset N (clamped to the log range)' },
  { name: 'shift-by', arg: 'N', help: 'Move the committed offset by N (may be negative)' },
  { name: 'to-datetime', arg: 'YYYY-MM-DDTHH:mm:SS.sss', help: 'Reset to the first record at or after this time' },
  { name: 'by-duration', arg: 'PnDTnHnMnS', help: 'Reset to the first record at or after now minus this duration' },
  { name: 'dry-run', value: false, help: 'Show the new offsets without committing them (the default)' },
  { name: 'execute', value: false, help: 'Commit the new offsets' },
  { name: 'json', value: false, help: 'Print JSON instead of tables' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

export const groupsUsage = `Usage: samsa groups (--list | --describe | --delete | --delete-offsets | --reset-offsets) [options]
       samsa groups list | describe | delete | delete-offsets | reset-offsets [options]

Consumer group administration, like kafka-consumer-groups.sh.

Options:
${formatOptions(options)}

Examples:
  samsa groups --list
  samsa groups --describe --group my-group --members --verbose
  samsa groups --reset-offsets --group my-group --topic orders --to-earliest --execute
  samsa groups --reset-offsets --group my-group --topic orders:0,1 --shift-by -10
  samsa groups --delete --group my-group
`;

/** Accepts `samsa groups describe ...` as well as `samsa groups --describe ...`. */
function action(a: ParsedArgs): Action {
  const sub = a.positional[0];
  if (sub !== undefined) {
    if (!(ACTIONS as readonly string[]).includes(sub)) throw new CliError(`Unknown command '${sub}'.`, `Use one of: ${ACTIONS.join(', ')}.`);
    if (a.positional.length > 1) throw new CliError(`Unexpected argument '${a.positional[1]}'.`, "Run 'samsa groups --help' for usage.");
  }
  const flags = ACTIONS.filter((x) => a.has(x));
  const all = sub !== undefined && !flags.includes(sub as Action) ? [sub as Action, ...flags] : flags;
  if (all.length !== 1) throw new CliError(all.length === 0 ? 'No action given.' : `Options ${all.map((x) => `--${x}`).join(' and ')} cannot be combined.`, 'Give exactly one of --list, --describe, --delete, --delete-offsets, --reset-offsets.');
  return all[0] as Action;
}

async function groupsToUse(admin: GroupAdmin, a: ParsedArgs, allowAll: boolean): Promise<string[]> {
  const groups = a.all('group');
  if (a.has('all-groups')) {
    if (!allowAll) throw new CliError('--all-groups cannot be used with this action.');
    if (groups.length > 0) throw new CliError('--group and --all-groups cannot be combined.');
    return (await admin.list()).map((g) => g.group);
  }
  if (groups.length === 0) throw new CliError('Missing required option --group.', allowAll ? 'Name a group with --group, or use --all-groups.' : 'Name a group with --group.');
  return groups;
}

const notExists = (group: string): CliError => new CliError(`Consumer group '${group}' does not exist.`, "List the groups with 'samsa groups --list'.", { exitCode: ExitCode.FAILED });

async function runList(admin: GroupAdmin, a: ParsedArgs): Promise<number> {
  const groups = await admin.list();
  if (a.has('json')) await writeOut(toJson(groups) + '\n');
  else if (groups.length === 0) process.stderr.write('No groups.\n');
  else await writeOut(formatTable(['GROUP', 'TYPE', 'STATE', 'PROTOCOL-TYPE'], groups.map((g) => [g.group, g.type, g.state, g.protocolType || '-'])));
  return 0;
}

async function runDescribe(admin: GroupAdmin, a: ParsedArgs): Promise<number> {
  const views = ['offsets', 'members', 'state'].filter((v) => a.has(v));
  if (views.length > 1) throw new CliError(`Options ${views.map((v) => `--${v}`).join(' and ')} cannot be combined.`);
  if (a.has('verbose') && !a.has('members')) throw new CliError('--verbose needs --members.');
  const view = views[0] ?? 'offsets';
  const groups = await groupsToUse(admin, a, true);
  const described: (GroupInfo & { partitions?: OffsetRow[] })[] = [];
  for (const g of groups) {
    const info = await admin.describe(g);
    if (!info.exists) {
      // kafka-consumer-groups.sh reports an unknown group and carries on with the others.
      reportError('samsa groups', notExists(g));
      continue;
    }
    described.push(view === 'offsets' ? { ...info, partitions: await admin.offsets(info) } : info);
  }
  const failed = described.length < groups.length ? ExitCode.FAILED : 0;
  if (a.has('json')) {
    await writeOut(toJson(a.has('all-groups') || groups.length > 1 ? described : (described[0] ?? null), 2) + '\n');
    return failed;
  }
  for (const d of described) {
    if (d.members.length === 0 && view !== 'state') process.stderr.write(`Consumer group '${d.group}' has no active members.\n`);
    if (view === 'state') {
      await writeOut(formatTable(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[d.group, `${d.coordinator.host}:${d.coordinator.port} (${d.coordinator.nodeId})`, d.protocol || '-', d.state, d.members.length]]) + '\n');
    } else if (view === 'members') {
      const headers = ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(a.has('verbose') ? ['ASSIGNMENT'] : [])];
      const rows = d.members.map((m): Cell[] => {
        const n = m.assignment?.reduce((s, tp) => s + tp.partitions.length, 0) ?? 0;
        const assignment = (m.assignment ?? []).map((tp) => `${tp.topic}(${[...tp.partitions].sort((x, y) => x - y).join(',')})`).join(', ') || '-';
        return [d.group, m.memberId, m.groupInstanceId, m.host, m.clientId, n, ...(a.has('verbose') ? [assignment] : [])];
      });
      if (rows.length > 0) await writeOut(formatTable(headers, rows) + '\n');
    } else {
      const rows = (d.partitions ?? []).map((r): Cell[] => [d.group, r.topic, r.partition, r.committedOffset, r.logEndOffset, r.lag, r.memberId, r.host, r.clientId]);
      await writeOut(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows) + '\n');
    }
  }
  return failed;
}

async function runReset(admin: GroupAdmin, a: ParsedArgs): Promise<number> {
  if (a.has('dry-run') && a.has('execute')) throw new CliError('Options --dry-run and --execute cannot be combined.');
  if (!RESET_SPECS.some((k) => a.has(k))) throw new CliError('--reset-offsets needs a reset spec.', `Give one of ${RESET_SPECS.map((k) => `--${k}`).join(', ')}.`);
  const groups = await groupsToUse(admin, a, true);
  if (!a.has('dry-run') && !a.has('execute')) {
    process.stderr.write('WARN: No action will be performed as the --execute option is missing. Add --execute to commit the new offsets, or --dry-run to say so explicitly.\n');
  }
  const all = [];
  for (const group of groups) {
    const info = await admin.describe(group);
    if (info.state !== 'Empty' && info.state !== 'Dead') {
      throw new CliError(`Assignments can only be reset if the group '${group}' is inactive, but the current state is ${info.state}.`, 'Stop the consumers of the group first.', { exitCode: ExitCode.FAILED });
    }
    const plan = await planReset(admin, a, group, Date.now());
    if (a.has('execute') && plan.length > 0) {
      const failed = (await admin.commit(group, plan)).filter((r) => r.errorCode !== 0);
      if (failed.length > 0) throw new CliError(`Resetting offsets of group '${group}' failed: ${failed.map((f) => `${f.topic}-${f.partition}: ${errorName(f.errorCode)}`).join(', ')}.`, undefined, { exitCode: ExitCode.FAILED });
    }
    all.push(...plan);
  }
  if (a.has('json')) await writeOut(toJson(all) + '\n');
  else await writeOut(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], all.map((p) => [p.group, p.topic, p.partition, p.offset])));
  return 0;
}

async function runDelete(admin: GroupAdmin, a: ParsedArgs): Promise<number> {
  const groups = await groupsToUse(admin, a, true);
  const results = await admin.deleteGroups(groups);
  const failed = results.filter((r) => r.errorCode !== 0);
  if (a.has('json')) await writeOut(toJson(results.map((r) => ({ group: r.group, error: r.errorCode === 0 ? null : errorName(r.errorCode) }))) + '\n');
  else {
    const ok = results.filter((r) => r.errorCode === 0);
    if (ok.length > 0) await writeOut(`Deletion of requested consumer groups (${ok.map((r) => `'${r.group}'`).join(', ')}) was successful.\n`);
    if (failed.length > 0) {
      const why = (code: number): string => (code === 69 ? 'it does not exist' : code === 68 ? 'it still has active members (NON_EMPTY_GROUP)' : errorName(code));
      process.stderr.write(`Deletion of some consumer groups failed:\n${failed.map((r) => `* Group '${r.group}' could not be deleted: ${why(r.errorCode)}.\n`).join('')}`);
    }
  }
  return failed.length > 0 ? ExitCode.FAILED : 0;
}

async function runDeleteOffsets(admin: GroupAdmin, a: ParsedArgs): Promise<number> {
  const [group, ...more] = await groupsToUse(admin, a, false);
  if (group === undefined || more.length > 0) throw new CliError('--delete-offsets takes exactly one --group.');
  const topics = a.all('topic');
  if (topics.length === 0) throw new CliError('--delete-offsets needs --topic TOPIC[:P,..].');
  const committed = await admin.committed(group);
  const parts: { topic: string; partition: number }[] = [];
  for (const t of topics) {
    const colon = t.indexOf(':');
    if (colon < 0) {
      // A whole topic: the partitions the group has committed (Kafka asks the metadata; same set for offsets).
      for (const p of committed.get(t)?.keys() ?? []) parts.push({ topic: t, partition: p });
      if (!committed.has(t)) parts.push({ topic: t, partition: 0 });
    } else for (const p of t.slice(colon + 1).split(',')) parts.push({ topic: t.slice(0, colon), partition: Number(p) });
  }
  const res = await admin.deleteOffsets(group, parts);
  if (res.errorCode === 69) throw notExists(group);
  if (res.errorCode !== 0) throw new CliError(`Deleting offsets of group '${group}' failed: ${errorName(res.errorCode)}.`, res.errorCode === 86 ? 'The group is subscribed to the topic; stop its consumers first.' : undefined, { exitCode: ExitCode.FAILED });
  const failed = res.partitions.filter((p) => p.errorCode !== 0);
  if (a.has('json')) await writeOut(toJson(res.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: p.errorCode === 0 ? null : errorName(p.errorCode) }))) + '\n');
  else {
    await writeOut(failed.length === 0 ? `Request succeeded for deleting offsets of group '${group}'.\n` : `Request failed for some partitions of group '${group}'.\n`);
    await writeOut(formatTable(['TOPIC', 'PARTITION', 'STATUS'], res.partitions.map((p) => [p.topic, p.partition, p.errorCode === 0 ? 'Successful' : `Error: ${errorName(p.errorCode)}`])));
  }
  return failed.length > 0 ? ExitCode.FAILED : 0;
}

export async function runGroups(args: string[]): Promise<number> {
  const command = 'samsa groups';
  let settings: ConnectionSettings | undefined;
  try {
    const a = parseArgs(command, args, options);
    if (a.has('help') || args.length === 0 || a.positional[0] === 'help') {
      process.stdout.write(groupsUsage);
      return args.length === 0 ? ExitCode.USAGE : 0;
    }
    const act = action(a);
    settings = connectionSettings(a);
    const admin = new GroupAdmin(await openConnection(settings));
    try {
      switch (act) {
        case 'list':
          return await runList(admin, a);
        case 'describe':
          return await runDescribe(admin, a);
        case 'reset-offsets':
          return await runReset(admin, a);
        case 'delete':
          return await runDelete(admin, a);
        case 'delete-offsets':
          return await runDeleteOffsets(admin, a);
      }
    } finally {
      admin.close();
      admin.bootstrap.close();
    }
  } catch (e) {
    return reportError(command, e, settings ? { bootstrap: settings.bootstrap.join(',') } : {});
  }
}
