/**
 * ACL bindings and filters (Kafka's org.apache.kafka.common.acl: AclBinding, AclBindingFilter,
 * ResourcePattern, AccessControlEntry). A binding says: `principal` from `host` is ALLOWed or
 * DENYed `operation` on the resources matched by (resourceType, resourceName, patternType), where
 * a LITERAL pattern matches its own name (or every name when it is `*`) and a PREFIXED pattern
 * every name that starts with it. A filter selects bindings (DescribeAcls, DeleteAcls): ANY
 * matches any value, a null name/principal/host any, and the pattern type MATCH selects the
 * bindings that would apply to the named resource (literal same name, literal `*`, and prefixed
 * patterns that are a prefix of it).
 * Kafka's validation of a new binding (AclControlManager.validateNewAcl): concrete resource type,
 * pattern LITERAL or PREFIXED, concrete operation and permission, a `Type:name` principal, a
 * non-empty resource name; the cluster resource is named `kafka-cluster`. Creating a binding that
 * exists succeeds and changes nothing.
 * Samsa: the codes are Kafka's wire codes; bindings live in the MetadataImage (metadata/image.ts).
 */
import { ErrorCode } from '../common/error-codes.js';
import { AclOperation as Op } from '../broker/authorized-operations.js';
import { CLUSTER_NAME, ResourceType } from '../broker/gate/authorizer.js';

/** Kafka's ResourceType codes including the filter-only ones. */
export const AclResourceType = { UNKNOWN: 0, ANY: 1, ...ResourceType } as const;
/** Kafka's AclOperation codes including the filter-only ones (ANY) and ALL. */
export const AclOp = { UNKNOWN: 0, ANY: 1, ALL: 2, ...Op } as const;
/** Kafka's PatternType codes. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
/** Kafka's AclPermissionType codes. */
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** Kafka's wildcard resource name and principal. */
export const WILDCARD_RESOURCE = '*';
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';

export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/** A binding's identity (equal bindings have equal keys). */
export function aclKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);
}

const NAMES = {
  resourceType: Object.fromEntries(Object.entries(AclResourceType).map(([k, v]) => [v, k])) as Record<number, string>,
  operation: Object.fromEntries(Object.entries(AclOp).map(([k, v]) => [v, k])) as Record<number, string>,
  patternType: Object.fromEntries(Object.entries(PatternType).map(([k, v]) => [v, k])) as Record<number, string>,
  permissionType: Object.fromEntries(Object.entries(PermissionType).map(([k, v]) => [v, k])) as Record<number, string>,
};

export function resourceTypeName(code: number): string {
  return NAMES.resourceType[code] ?? 'UNKNOWN';
}
export function operationName(code: number): string {
  return NAMES.operation[code] ?? 'UNKNOWN';
}
export function patternTypeName(code: number): string {
  return NAMES.patternType[code] ?? 'UNKNOWN';
}
export function permissionTypeName(code: number): string {
  return NAMES.permissionType[code] ?? 'UNKNOWN';
}

/** Kafka's toString of a binding, for logs and the CLI. */
export function describeAcl(b: AclBinding): string {
  return `(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionTypeName(b.permissionType)}) on ${resourceTypeName(b.resourceType)}:${patternTypeName(b.patternType)}:${b.resourceName}`;
}

/** Whether `s` is a principal Kafka parses (`Type:name`, both parts non-empty). */
export function validPrincipal(s: string): boolean {
  const i = s.indexOf(':');
  return i > 0 && i < s.length - 1;
}

const CONCRETE_TYPES: ReadonlySet<number> = new Set(Object.values(ResourceType));
const CONCRETE_OPS: ReadonlySet<number> = new Set([AclOp.ALL, ...Object.values(Op)]);

/** Why a new binding is refused (Kafka's error code and message), or undefined when it is valid. */
export function validateNewAcl(b: AclBinding): { errorCode: number; message: string } | undefined {
  const bad = (message: string): { errorCode: number; message: string } => ({ errorCode: ErrorCode.INVALID_REQUEST, message });
  if (!CONCRETE_TYPES.has(b.resourceType)) return bad(`Invalid resourceType ${b.resourceType}`);
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return bad(`Invalid patternType ${b.patternType}`);
  if (!CONCRETE_OPS.has(b.operation)) return bad(`Invalid operation ${b.operation}`);
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return bad(`Invalid permissionType ${b.permissionType}`);
  if (b.resourceName === '') return bad('Resource name should not be empty');
  if (!validPrincipal(b.principal)) return bad(`Could not parse principal from \`${b.principal}\` (no colon is found)`);
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return bad(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  if (b.resourceName.includes('\u0000')) return bad('Resource name contains a NUL character');
  return undefined;
}

/** Why a filter is refused (DescribeAcls / DeleteAcls: UNKNOWN values), or undefined. */
export function validateFilter(f: AclFilter): string | undefined {
  if (resourceTypeName(f.resourceType) === 'UNKNOWN') return 'Filter contains UNKNOWN elements';
  if (patternTypeName(f.patternType) === 'UNKNOWN') return 'Filter contains UNKNOWN elements';
  if (operationName(f.operation) === 'UNKNOWN') return 'Filter contains UNKNOWN elements';
  if (permissionTypeName(f.permissionType) === 'UNKNOWN') return 'Filter contains UNKNOWN elements';
  return undefined;
}

/** Whether a pattern (name, patternType) covers the resource name (LITERAL: same or `*`; PREFIXED: starts with). */
export function patternCovers(patternName: string, patternType: number, name: string): boolean {
  if (patternType === PatternType.LITERAL) return patternName === name || patternName === WILDCARD_RESOURCE;
  if (patternType === PatternType.PREFIXED) return name.startsWith(patternName);
  return false;
}

/** Kafka's AclBindingFilter.matches. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== AclResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName !== null && !patternCovers(b.resourceName, b.patternType, f.resourceName)) return false;
  } else {
    if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== b.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOp.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== PermissionType.ANY && f.permissionType !== b.permissionType) return false;
  return true;
}
