/**
 * Authorized-operations bit sets (Metadata, DescribeCluster, DescribeGroups,
 * DescribeTopicPartitions). Kafka's rule: when a client asks, the broker reports one bit per
 * AclOperation code the principal may perform on the resource; with no authorizer configured that
 * is every operation the resource type supports (AclEntry.supportedOperations). When the client
 * does not ask, the field keeps the schema default INT32_MIN ("not requested").
 * Handlers answer the full supported set; with an ACL authorizer the gate narrows it to the
 * allowed operations (gate/authorized-operations-rule.ts).
 */

/** AclOperation codes (org.apache.kafka.common.acl.AclOperation). */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

/** The schema default of every *AuthorizedOperations field: the client did not ask. */
export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

function bits(ops: readonly AclOperation[]): number {
  let v = 0;
  for (const op of ops) v |= 1 << op;
  return v;
}

const O = AclOperation;
/** Every operation a topic supports: Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs. */
export const TOPIC_OPERATIONS = bits([O.READ, O.WRITE, O.CREATE, O.DELETE, O.ALTER, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]);
/** Every operation the cluster supports: Create, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, Alter, Describe. */
export const CLUSTER_OPERATIONS = bits([O.CREATE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE, O.ALTER, O.DESCRIBE]);
/** Every operation a group supports: Read, Describe, Delete, DescribeConfigs, AlterConfigs (Kafka 4: group configs). */
export const GROUP_OPERATIONS = bits([O.READ, O.DESCRIBE, O.DELETE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]);

/** The bit set to answer: everything supported when asked, else "not requested". */
export function authorizedOperations(requested: boolean, supported: number): number {
  return requested ? supported : AUTHORIZED_OPERATIONS_NOT_REQUESTED;
}
