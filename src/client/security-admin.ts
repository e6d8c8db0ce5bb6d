/**
 * Read-only security views over the protocol client: ACLs (DescribeAcls v2, every binding),
 * client quotas (DescribeClientQuotas v1, every entity) and SCRAM users
 * (DescribeUserScramCredentials v0, every user), with Kafka's names for the codes.
 *
 * Kafka's rules kept: a cluster without an authorizer answers DescribeAcls with SECURITY_DISABLED
 * and one without SCRAM support answers UNSUPPORTED_VERSION (or lacks the API); both are
 * reported as "not available" by callers, not as failures of the cluster.
 */
import type { DescribeAclsResponse } from '../protocol/generated/messages/describe-acls.js';
import type { DescribeClientQuotasResponse } from '../protocol/generated/messages/describe-client-quotas.js';
import type { DescribeUserScramCredentialsResponse } from '../protocol/generated/messages/describe-user-scram-credentials.js';
import { AdminError } from './admin.js';
import type { KafkaConnection } from './connection.js';

const Key = { DescribeAcls: 29, DescribeClientQuotas: 48, DescribeUserScramCredentials: 50 } as const;

export const RESOURCE_TYPES: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'ANY', 2: 'TOPIC', 3: 'GROUP', 4: 'CLUSTER', 5: 'TRANSACTIONAL_ID', 6: 'DELEGATION_TOKEN', 7: 'USER' };
export const OPERATIONS: Readonly<Record<number, string>> = {
  0: 'UNKNOWN', 1: 'ANY', 2: 'ALL', 3: 'READ', 4: 'WRITE', 5: 'CREATE', 6: 'DELETE', 7: 'ALTER', 8: 'DESCRIBE',
  9: 'CLUSTER_ACTION', 10: 'DESCRIBE_CONFIGS', 11: 'ALTER_CONFIGS', 12: 'IDEMPOTENT_WRITE', 13: 'CREATE_TOKENS', 14: 'DESCRIBE_TOKENS', 15: 'TWO_PHASE_COMMIT',
};
export const PATTERN_TYPES: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'ANY', 2: 'MATCH', 3: 'LITERAL', 4: 'PREFIXED' };
export const PERMISSIONS: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'ANY', 2: 'DENY', 3: 'ALLOW' };
export const SCRAM_MECHANISMS: Readonly<Record<number, string>> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export const named = (table: Readonly<Record<number, string>>, code: number): string => table[code] ?? String(code);

export interface AclRow {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

/** Every ACL binding of the cluster. */
export async function describeAllAcls(conn: KafkaConnection): Promise<AclRow[]> {
  const res = await conn.request<DescribeAclsResponse>(Key.DescribeAcls, 2, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
  if (res.errorCode !== 0) throw new AdminError('DescribeAcls', res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) =>
    r.acls.map((a) => ({
      resourceType: named(RESOURCE_TYPES, r.resourceType),
      resourceName: r.resourceName,
      patternType: named(PATTERN_TYPES, r.patternType),
      principal: a.principal,
      host: a.host,
      operation: named(OPERATIONS, a.operation),
      permission: named(PERMISSIONS, a.permissionType),
    })),
  );
}

export interface QuotaRow {
  /** e.g. { user: 'alice', 'client-id': null } (null: the default entity). */
  entity: Record<string, string | null>;
  values: Record<string, number>;
}

/** Every client quota entity with its values. */
export async function describeAllQuotas(conn: KafkaConnection): Promise<QuotaRow[]> {
  const res = await conn.request<DescribeClientQuotasResponse>(Key.DescribeClientQuotas, 1, { components: [], strict: false });
  if (res.errorCode !== 0) throw new AdminError('DescribeClientQuotas', res.errorCode, res.errorMessage);
  return (res.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

export interface ScramUserRow {
  user: string;
  credentials: { mechanism: string; iterations: number }[];
}

/** Every user with SCRAM credentials. */
export async function describeScramUsers(conn: KafkaConnection): Promise<ScramUserRow[]> {
  const res = await conn.request<DescribeUserScramCredentialsResponse>(Key.DescribeUserScramCredentials, 0, { users: null });
  if (res.errorCode !== 0) throw new AdminError('DescribeUserScramCredentials', res.errorCode, res.errorMessage);
  return res.results
    .filter((r) => r.errorCode === 0)
    .map((r) => ({ user: r.user, credentials: r.credentialInfos.map((c) => ({ mechanism: named(SCRAM_MECHANISMS, c.mechanism), iterations: c.iterations })) }))
    .sort((a, b) => a.user.localeCompare(b.user));
}
