/**
 * `samsa acls` — kafka-acls.sh: --add, --remove and --list of ACL bindings through CreateAcls,
 * DeleteAcls and DescribeAcls (v3, sent to the bootstrap broker: the bindings are cluster
 * metadata, so any broker serves them). The options are kafka-acls.sh's (cli/acl-options.ts);
 * like kafka-acls.sh, --add and --remove print the resources' ACLs afterwards, and --remove does not
 * prompt (kafka-acls.sh asks unless --force; --force is accepted). Errors per binding are printed
 * and make the exit code 1; SECURITY_DISABLED means the broker has no authorizer.class.name.
 */
import { AclOp, describeAcl, operationName, PatternType, PermissionType, patternTypeName, permissionTypeName, resourceTypeName, type AclBinding, type AclFilter } from '../auth/acl.js';
import { ErrorCode, errorName } from '../common/error-codes.js';
import type { CreateAclsResponse } from '../protocol/generated/messages/create-acls.js';
import type { DeleteAclsResponse } from '../protocol/generated/messages/delete-acls.js';
import type { DescribeAclsResponse } from '../protocol/generated/messages/describe-acls.js';
import { bindingsToAdd, filtersToList, filtersToRemove, parsePatternType, resourcesOf } from './acl-options.js';
import { formatOptions, type OptionSpec } from './args.js';
import type { KafkaConnection } from '../client/connection.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

const API = { DescribeAcls: 29, CreateAcls: 30, DeleteAcls: 31 } as const;
const VERSION = 3;

const options: readonly OptionSpec[] = [
  { name: 'add', value: false, help: 'Add the ACLs described by the other options' },
  { name: 'remove', value: false, help: 'Remove matching ACLs (every ACL of the resources when no principal is given)' },
  { name: 'list', value: false, help: 'List ACLs (of the given resources, else all)' },
  { name: 'topic', arg: 'NAME', repeat: true, help: 'Topic resource (repeatable; * for all topics)' },
  { name: 'group', arg: 'NAME', repeat: true, help: 'Consumer group resource (repeatable)' },
  { name: 'cluster', value: false, help: 'The cluster resource' },
  { name: 'transactional-id', arg: 'ID', repeat: true, help: 'Transactional id resource (repeatable)' },
  { name: 'delegation-token', arg: 'ID', repeat: true, help: 'Delegation token resource (repeatable)' },
  { name: 'resource-pattern-type', arg: 'TYPE', help: 'literal (default), prefixed; for --list/--remove also match, any' },
  { name: 'allow-principal', arg: 'PRINCIPAL', repeat: true, help: 'Principal allowed, e.g. User:alice (User:* for everyone)' },
  { name: 'deny-principal', arg: 'PRINCIPAL', repeat: true, help: 'Principal denied' },
  { name: 'allow-host', arg: 'HOST', repeat: true, help: 'Host the allowed principals may connect from (default *)' },
  { name: 'deny-host', arg: 'HOST', repeat: true, help: 'Host the denied principals are denied from (default *)' },
  { name: 'operation', arg: 'OP', repeat: true, help: 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (default All)' },
  { name: 'producer', value: false, help: 'Producer ACLs: WRITE, DESCRIBE, CREATE on the topics (and the transactional ids)' },
  { name: 'consumer', value: false, help: 'Consumer ACLs: READ, DESCRIBE on the topics, READ on the group' },
  { name: 'idempotent', value: false, help: 'With --producer: IDEMPOTENT_WRITE on the cluster' },
  { name: 'principal', arg: 'PRINCIPAL', repeat: true, help: 'With --list: only the ACLs of this principal' },
  { name: 'force', value: false, help: 'Accepted for kafka-acls.sh compatibility (nothing is asked)' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa acls (--add | --remove | --list) [options]

Manages ACLs like kafka-acls.sh (the broker needs authorizer.class.name set to Kafka's
StandardAuthorizer or AclAuthorizer).

Options:
${formatOptions(options)}

Examples:
  samsa acls --add --allow-principal User:alice --operation Read --topic orders
  samsa acls --add --allow-principal User:bob --producer --topic orders --resource-pattern-type prefixed
  samsa acls --add --allow-principal User:carol --consumer --topic orders --group billing
  samsa acls --list --topic orders
  samsa acls --remove --allow-principal User:alice --operation Read --topic orders
`;

type Row = { resourceType: string; resourceName: string; patternType: string; principal: string; host: string; operation: string; permissionType: string };

function row(b: AclBinding): Row {
  return {
    resourceType: resourceTypeName(b.resourceType),
    resourceName: b.resourceName,
    patternType: patternTypeName(b.patternType),
    principal: b.principal,
    host: b.host,
    operation: operationName(b.operation),
    permissionType: permissionTypeName(b.permissionType),
  };
}

/** An ACL filter as DescribeAcls and DeleteAcls carry it. */
function filterFields(f: AclFilter): { resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number } {
  return { resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType };
}

/** A Kafka error code with the broker's message, if any. */
function errorText(code: number, message: string | null): string {
  return `${errorName(code)}${message ? ` (${message})` : ''}`;
}

async function describe(conn: KafkaConnection, f: AclFilter, timeout: number): Promise<AclBinding[]> {
  const res = await conn.request<DescribeAclsResponse>(
    API.DescribeAcls,
    VERSION,
    filterFields(f),
    timeout,
  );
  if (res.errorCode !== 0) {
    const hint = res.errorCode === ErrorCode.SECURITY_DISABLED ? 'Set authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer on the brokers.' : undefined;
    throw new CliError(`DescribeAcls failed: ${errorText(res.errorCode, res.errorMessage)}.`, hint, { exitCode: ExitCode.FAILED });
  }
  return res.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })));
}

/** kafka-acls.sh's listing: the ACLs of each resource pattern. */
function listing(acls: readonly AclBinding[]): string {
  const byResource = new Map<string, AclBinding[]>();
  for (const b of acls) {
    const k = `ResourcePattern(resourceType=${resourceTypeName(b.resourceType)}, name=${b.resourceName}, patternType=${patternTypeName(b.patternType)})`;
    byResource.set(k, [...(byResource.get(k) ?? []), b]);
  }
  let out = '';
  for (const [k, list] of byResource) {
    out += `Current ACLs for resource \`${k}\`: \n`;
    for (const b of list) out += `\t(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionTypeName(b.permissionType)})\n`;
    out += '\n';
  }
  return out;
}

export function runAcls(args: string[]): Promise<number> {
  return runConnected('samsa acls', args, options, usage, async (a, conn, s) => {
    const modes = ['add', 'remove', 'list'].filter((m) => a.has(m));
    if (modes.length !== 1) throw new CliError('Give exactly one of --add, --remove, --list.', "Run 'samsa acls --help' for usage.", { exitCode: ExitCode.USAGE });
    const json = a.has('json');
    let failed = false;
    let text = '';
    const result: { added?: Row[]; removed?: Row[]; errors: string[]; acls?: Row[] } = { errors: [] };
    if (a.has('add')) {
      const bindings = bindingsToAdd(a);
      const res = await conn.request<CreateAclsResponse>(
        API.CreateAcls,
        VERSION,
        { creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })) },
        s.timeout,
      );
      result.added = [];
      res.results.forEach((r, i) => {
        const b = bindings[i];
        if (b === undefined) return;
        if (r.errorCode === 0) result.added?.push(row(b));
        else {
          failed = true;
          result.errors.push(`Error while adding ${describeAcl(b)}: ${errorText(r.errorCode, r.errorMessage)}`);
        }
      });
      text += `Adding ACLs for resources:\n${bindings.map((b) => `\t${describeAcl(b)}`).join('\n')}\n\n`;
    } else if (a.has('remove')) {
      const filters = filtersToRemove(a);
      const res = await conn.request<DeleteAclsResponse>(
        API.DeleteAcls,
        VERSION,
        { filters: filters.map(filterFields) },
        s.timeout,
      );
      result.removed = [];
      for (const r of res.filterResults) {
        if (r.errorCode !== 0) {
          failed = true;
          result.errors.push(`Error while removing ACLs: ${errorText(r.errorCode, r.errorMessage)}`);
          continue;
        }
        for (const m of r.matchingAcls) result.removed.push(row({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType }));
      }
      text += `Removed ${result.removed.length} ACL${result.removed.length === 1 ? '' : 's'}\n\n`;
    }
    // Like kafka-acls.sh: show the resources' ACLs (after --add/--remove), or the listing asked for.
    const shown = a.has('add') ? parsePatternType(a.get('resource-pattern-type')) : PatternType.ANY;
    const filters = a.has('list') ? filtersToList(a) : resourcesOf(a, shown).map((r) => ({ ...r, principal: null, host: null, operation: AclOp.ANY, permissionType: PermissionType.ANY }));
    const seen = new Set<string>();
    const acls: AclBinding[] = [];
    for (const f of filters) {
      for (const b of await describe(conn, f, s.timeout)) {
        const k = JSON.stringify(b);
        if (!seen.has(k)) {
          seen.add(k);
          acls.push(b);
        }
      }
    }
    result.acls = acls.map(row);
    for (const e of result.errors) process.stderr.write(`${e}\n`);
    await writeOut(json ? toJson(result) + '\n' : text + listing(acls));
    return failed ? ExitCode.FAILED : 0;
  });
}
