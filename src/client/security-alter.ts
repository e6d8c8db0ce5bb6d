/**
 * Changes to a cluster's security over the protocol client, by Kafka's names: one ACL binding
 * created (CreateAcls v2) or deleted (DeleteAcls v2 with an exact filter), client quotas set or
 * removed on one entity (AlterClientQuotas v1), and SCRAM credentials upserted or deleted
 * (AlterUserScramCredentials v0). The console's security pages use them.
 *
 * Kafka's rules kept: a binding's resource type, operation and permission are concrete (not
 * ANY), its pattern LITERAL or PREFIXED; a quota value is a number and `remove` drops the key; a
 * SCRAM upsertion carries a random salt and Hi(password, salt, iterations) (PBKDF2 with the
 * mechanism's HMAC), never the password, with 4096 to 16384 iterations (the broker checks).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import type { CreateAclsResponse } from '../protocol/generated/messages/create-acls.js';
import type { DeleteAclsResponse } from '../protocol/generated/messages/delete-acls.js';
import { AdminError } from './admin.js';
import type { KafkaConnection } from './connection.js';
import { named, OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, SCRAM_MECHANISMS, type AclRow } from './security-admin.js';

const Key = { CreateAcls: 30, DeleteAcls: 31, AlterClientQuotas: 49, AlterUserScramCredentials: 51 } as const;

/** The code of `name` in a code → name table, or undefined. */
function codeOf(table: Readonly<Record<number, string>>, name: string): number | undefined {
  for (const [code, n] of Object.entries(table)) if (n === name) return Number(code);
  return undefined;
}

/** Names a binding may use (concrete values: no UNKNOWN, ANY or MATCH). */
export const ACL_CHOICES = {
  resourceType: ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'],
  patternType: ['LITERAL', 'PREFIXED'],
  operation: Object.values(OPERATIONS).filter((o) => o !== 'UNKNOWN' && o !== 'ANY'),
  permission: ['ALLOW', 'DENY'],
} as const;

interface AclCodes {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

function codes(b: AclRow): AclCodes {
  const get = (table: Readonly<Record<number, string>>, name: string, field: string): number => {
    const c = codeOf(table, name);
    if (c === undefined) throw new RangeError(`unknown ${field} ${name}`);
    return c;
  };
  return {
    resourceType: get(RESOURCE_TYPES, b.resourceType, 'resource type'),
    resourceName: b.resourceName,
    patternType: get(PATTERN_TYPES, b.patternType, 'pattern type'),
    principal: b.principal,
    host: b.host,
    operation: get(OPERATIONS, b.operation, 'operation'),
    permissionType: get(PERMISSIONS, b.permission, 'permission'),
  };
}

/** Creates one ACL binding. */
export async function createAcl(conn: KafkaConnection, b: AclRow): Promise<void> {
  const c = codes(b);
  const res = await conn.request<CreateAclsResponse>(Key.CreateAcls, 2, { creations: [{ ...c, resourcePatternType: c.patternType }] });
  const r = res.results[0];
  if (r === undefined) throw new AdminError('CreateAcls', -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError('CreateAcls', r.errorCode, r.errorMessage);
}

/** Deletes the binding equal to `b`; answers the bindings the broker deleted (none: it did not exist). */
export async function deleteAcl(conn: KafkaConnection, b: AclRow): Promise<AclRow[]> {
  const c = codes(b);
  const res = await conn.request<DeleteAclsResponse>(Key.DeleteAcls, 2, {
    filters: [{ resourceTypeFilter: c.resourceType, resourceNameFilter: c.resourceName, patternTypeFilter: c.patternType, principalFilter: c.principal, hostFilter: c.host, operation: c.operation, permissionType: c.permissionType }],
  });
  const r = res.filterResults[0];
  if (r === undefined) throw new AdminError('DeleteAcls', -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError('DeleteAcls', r.errorCode, r.errorMessage);
  return r.matchingAcls
    .filter((m) => m.errorCode === 0)
    .map((m) => ({
      resourceType: named(RESOURCE_TYPES, m.resourceType),
      resourceName: m.resourceName,
      patternType: named(PATTERN_TYPES, m.patternType),
      principal: m.principal,
      host: m.host,
      operation: named(OPERATIONS, m.operation),
      permission: named(PERMISSIONS, m.permissionType),
    }));
}

/** One quota entity: entity type (user, client-id, ip) → name (null: the default entity). */
export type QuotaEntity = Record<string, string | null>;

/** Sets `set` and removes `remove` on one entity. */
export async function alterQuotas(conn: KafkaConnection, entity: QuotaEntity, set: Record<string, number>, remove: readonly string[]): Promise<void> {
  const ops = [...Object.entries(set).map(([key, value]) => ({ key, value, remove: false })), ...remove.map((key) => ({ key, value: 0, remove: true }))];
  const res = await conn.request<{ entries: { errorCode: number; errorMessage: string | null }[] }>(Key.AlterClientQuotas, 1, {
    entries: [{ entity: Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName })), ops }],
    validateOnly: false,
  });
  const r = res.entries[0];
  if (r === undefined) throw new AdminError('AlterClientQuotas', -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError('AlterClientQuotas', r.errorCode, r.errorMessage);
}

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISM_NAMES: readonly ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

async function alterScram(conn: KafkaConnection, body: { deletions: unknown[]; upsertions: unknown[] }): Promise<void> {
  const res = await conn.request<{ results: { user: string; errorCode: number; errorMessage: string | null }[] }>(Key.AlterUserScramCredentials, 0, body);
  const bad = res.results.find((r) => r.errorCode !== 0);
  if (bad !== undefined) throw new AdminError('AlterUserScramCredentials', bad.errorCode, bad.errorMessage);
}

/** Sets (adds or replaces) a user's credential of one mechanism. */
export async function upsertScramUser(conn: KafkaConnection, user: string, mechanism: ScramMechanismName, password: string, iterations: number): Promise<void> {
  const salt = randomBytes(24);
  const [hash, length] = mechanism === 'SCRAM-SHA-256' ? (['sha256', 32] as const) : (['sha512', 64] as const);
  const saltedPassword = pbkdf2Sync(password, salt, iterations, length, hash);
  await alterScram(conn, { deletions: [], upsertions: [{ name: user, mechanism: codeOf(SCRAM_MECHANISMS, mechanism), iterations, salt, saltedPassword }] });
}

/** Deletes a user's credentials of the mechanisms given. */
export async function deleteScramUser(conn: KafkaConnection, user: string, mechanisms: readonly ScramMechanismName[]): Promise<void> {
  await alterScram(conn, { deletions: mechanisms.map((m) => ({ name: user, mechanism: codeOf(SCRAM_MECHANISMS, m) })), upsertions: [] });
}
