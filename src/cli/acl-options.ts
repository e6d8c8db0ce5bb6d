/**
 * kafka-acls.sh's options turned into ACL bindings and filters: the resources (--topic, --group,
 * --cluster, --transactional-id, --delegation-token with --resource-pattern-type), the principals
 * and hosts (--allow-principal / --allow-host, --deny-principal / --deny-host; a principal without
 * a host gets `*`), the operations (--operation, repeatable, default All), and the conveniences
 * --producer (WRITE, DESCRIBE, CREATE on the topics; WRITE, DESCRIBE on the transactional ids;
 * IDEMPOTENT_WRITE on the cluster with --idempotent) and --consumer (READ, DESCRIBE on the topics,
 * READ on the groups). Kafka's rules kept: --add and --remove need a resource; --add needs a
 * principal; --consumer needs --group and --topic; --producer needs --topic; the pattern types
 * ANY and MATCH are only for --list and --remove.
 */
import { AclOp, AclResourceType, PatternType, PermissionType, WILDCARD_HOST, type AclBinding, type AclFilter } from '../auth/acl.js';
import { CLUSTER_NAME } from '../broker/gate/authorizer.js';
import type { ParsedArgs } from './args.js';
import { CliError, ExitCode } from './output.js';

export interface ResourcePattern {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
}

const OPERATIONS: Readonly<Record<string, number>> = {
  all: AclOp.ALL,
  read: AclOp.READ,
  write: AclOp.WRITE,
  create: AclOp.CREATE,
  delete: AclOp.DELETE,
  alter: AclOp.ALTER,
  describe: AclOp.DESCRIBE,
  clusteraction: AclOp.CLUSTER_ACTION,
  describeconfigs: AclOp.DESCRIBE_CONFIGS,
  alterconfigs: AclOp.ALTER_CONFIGS,
  idempotentwrite: AclOp.IDEMPOTENT_WRITE,
  createtokens: AclOp.CREATE_TOKENS,
  describetokens: AclOp.DESCRIBE_TOKENS,
};

function usageError(message: string): CliError {
  return new CliError(message, "Run 'samsa acls --help' for usage.", { exitCode: ExitCode.USAGE });
}

export function parseOperation(v: string): number {
  const op = OPERATIONS[v.replace(/[_-]/g, '').toLowerCase()];
  if (op === undefined) throw usageError(`Unknown operation '${v}' (one of ${Object.keys(OPERATIONS).join(', ')}).`);
  return op;
}

export function parsePatternType(v: string | undefined): number {
  switch ((v ?? 'literal').toLowerCase()) {
    case 'literal':
      return PatternType.LITERAL;
    case 'prefixed':
      return PatternType.PREFIXED;
    case 'match':
      return PatternType.MATCH;
    case 'any':
      return PatternType.ANY;
    default:
      throw usageError(`--resource-pattern-type must be literal, prefixed, match or any, got '${v ?? ''}'.`);
  }
}

/** The resources named on the command line, with the given pattern type. */
export function resourcesOf(a: ParsedArgs, patternType: number): ResourcePattern[] {
  const out: ResourcePattern[] = [];
  for (const name of a.all('topic')) out.push({ resourceType: AclResourceType.TOPIC, resourceName: name, patternType });
  for (const name of a.all('group')) out.push({ resourceType: AclResourceType.GROUP, resourceName: name, patternType });
  for (const name of a.all('transactional-id')) out.push({ resourceType: AclResourceType.TRANSACTIONAL_ID, resourceName: name, patternType });
  for (const name of a.all('delegation-token')) out.push({ resourceType: AclResourceType.DELEGATION_TOKEN, resourceName: name, patternType });
  if (a.has('cluster') || (a.has('producer') && a.has('idempotent'))) out.push({ resourceType: AclResourceType.CLUSTER, resourceName: CLUSTER_NAME, patternType: patternType === PatternType.PREFIXED ? PatternType.LITERAL : patternType });
  return out;
}

/** Principal/host pairs of one permission: each principal with each of its hosts (`*` when none). */
function entries(a: ParsedArgs, kind: 'allow' | 'deny'): { principal: string; host: string; permissionType: number }[] {
  const principals = a.all(`${kind}-principal`);
  const hosts = a.all(`${kind}-host`);
  if (hosts.length > 0 && principals.length === 0) throw usageError(`--${kind}-host needs --${kind}-principal.`);
  const permissionType = kind === 'allow' ? PermissionType.ALLOW : PermissionType.DENY;
  for (const p of principals) if (!/^[^:]+:.+$/.test(p)) throw usageError(`Principal '${p}' must be Type:name, e.g. User:alice.`);
  return principals.flatMap((principal) => (hosts.length === 0 ? [WILDCARD_HOST] : hosts).map((host) => ({ principal, host, permissionType })));
}

/** The operations per resource type: --producer / --consumer conveniences, else --operation (default All). */
function operationsFor(a: ParsedArgs, r: ResourcePattern): number[] {
  if (a.has('producer') || a.has('consumer')) {
    const ops = new Set<number>();
    if (a.has('producer')) {
      if (r.resourceType === AclResourceType.TOPIC) [AclOp.WRITE, AclOp.DESCRIBE, AclOp.CREATE].forEach((o) => ops.add(o));
      if (r.resourceType === AclResourceType.TRANSACTIONAL_ID) [AclOp.WRITE, AclOp.DESCRIBE].forEach((o) => ops.add(o));
      if (r.resourceType === AclResourceType.CLUSTER && a.has('idempotent')) ops.add(AclOp.IDEMPOTENT_WRITE);
    }
    if (a.has('consumer')) {
      if (r.resourceType === AclResourceType.TOPIC) [AclOp.READ, AclOp.DESCRIBE].forEach((o) => ops.add(o));
      if (r.resourceType === AclResourceType.GROUP) ops.add(AclOp.READ);
    }
    return [...ops];
  }
  const given = a.all('operation').map(parseOperation);
  return given.length === 0 ? [AclOp.ALL] : given;
}

/** The bindings --add creates. */
export function bindingsToAdd(a: ParsedArgs): AclBinding[] {
  const patternType = parsePatternType(a.get('resource-pattern-type'));
  if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED) throw usageError('A --resource-pattern-type of match or any is only for --list and --remove.');
  checkConveniences(a);
  const resources = resourcesOf(a, patternType);
  if (resources.length === 0) throw usageError('--add needs a resource: --topic, --group, --cluster, --transactional-id or --delegation-token.');
  const who = [...entries(a, 'allow'), ...entries(a, 'deny')];
  if (who.length === 0) throw usageError('--add needs --allow-principal or --deny-principal.');
  const out: AclBinding[] = [];
  for (const r of resources) for (const operation of operationsFor(a, r)) for (const w of who) out.push({ ...r, ...w, operation });
  return out;
}

function checkConveniences(a: ParsedArgs): void {
  if (a.has('consumer') && (a.all('topic').length === 0 || a.all('group').length === 0)) throw usageError('--consumer needs --topic and --group.');
  if (a.has('producer') && a.all('topic').length === 0) throw usageError('--producer needs --topic.');
}

/** The filters --remove deletes with: the given principals/operations, or everything on the resources. */
export function filtersToRemove(a: ParsedArgs): AclFilter[] {
  const patternType = parsePatternType(a.get('resource-pattern-type'));
  checkConveniences(a);
  const resources = resourcesOf(a, patternType);
  if (resources.length === 0) throw usageError('--remove needs a resource: --topic, --group, --cluster, --transactional-id or --delegation-token.');
  const who = [...entries(a, 'allow'), ...entries(a, 'deny')];
  const out: AclFilter[] = [];
  for (const r of resources) {
    const ops = a.has('operation') || a.has('producer') || a.has('consumer') ? operationsFor(a, r) : [AclOp.ANY];
    if (who.length === 0) {
      for (const operation of ops) out.push({ ...r, principal: null, host: null, operation, permissionType: PermissionType.ANY });
    } else {
      for (const operation of ops) for (const w of who) out.push({ ...r, ...w, operation });
    }
  }
  return out;
}

/** The filters --list asks with: each resource (default pattern literal), or every binding; --principal narrows. */
export function filtersToList(a: ParsedArgs): AclFilter[] {
  const patternType = parsePatternType(a.get('resource-pattern-type'));
  const principals = a.all('principal');
  const resources = resourcesOf(a, patternType);
  const bases: Omit<AclFilter, 'principal'>[] =
    resources.length === 0
      ? [{ resourceType: AclResourceType.ANY, resourceName: null, patternType: a.has('resource-pattern-type') ? patternType : PatternType.ANY, host: null, operation: AclOp.ANY, permissionType: PermissionType.ANY }]
      : resources.map((r) => ({ ...r, host: null, operation: AclOp.ANY, permissionType: PermissionType.ANY }));
  return bases.flatMap((b): AclFilter[] => (principals.length === 0 ? [{ ...b, principal: null }] : principals.map((principal) => ({ ...b, principal }))));
}
