/**
 * What the ACL APIs (DescribeAcls, CreateAcls, DeleteAcls) share: their services, Kafka's
 * SECURITY_DISABLED message, the filter of DescribeAcls and DeleteAcls (v0: LITERAL patterns only),
 * the grouping of bindings by resource pattern in DescribeAcls' answer, and the error a failed
 * metadata commit answers.
 */
import { PatternType, type AclBinding, type AclFilter } from '../../auth/acl.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { MetadataDeltaError } from '../../metadata/delta.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { DescribeAclsRequest, DescribeAclsResponseInit } from '../../protocol/generated/messages/describe-acls.js';

export interface AclDeps {
  readonly metadata: Pick<MetadataStore, 'image' | 'commit'>;
  /** Whether an authorizer is configured (else the ACL APIs answer SECURITY_DISABLED). */
  readonly aclsEnabled: boolean;
}

export const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker';

/** The filter fields of a DescribeAcls request and of a DeleteAcls filter. */
type FilterFields = Pick<DescribeAclsRequest, 'resourceTypeFilter' | 'resourceNameFilter' | 'patternTypeFilter' | 'principalFilter' | 'hostFilter' | 'operation' | 'permissionType'>;

/** The filter of a DescribeAcls request or a DeleteAcls filter (v0: LITERAL patterns only). */
export function requestFilter(req: FilterFields, apiVersion: number): AclFilter {
  return {
    resourceType: req.resourceTypeFilter,
    resourceName: req.resourceNameFilter,
    patternType: apiVersion >= 1 ? req.patternTypeFilter : PatternType.LITERAL,
    principal: req.principalFilter,
    host: req.hostFilter,
    operation: req.operation,
    permissionType: req.permissionType,
  };
}

/** The error code and message a failed ACL commit answers: the conflict's code, else UNKNOWN_SERVER_ERROR. */
export function commitError(e: unknown): { errorCode: number; errorMessage: string } {
  const errorCode = e instanceof KafkaError || e instanceof MetadataDeltaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  return { errorCode, errorMessage: e instanceof Error ? e.message : String(e) };
}

/** Bindings grouped by resource pattern, in the order first seen. */
export function groupByResource(acls: readonly AclBinding[]): NonNullable<DescribeAclsResponseInit['resources']> {
  const out = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
  for (const b of acls) {
    const k = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let r = out.get(k);
    if (r === undefined) {
      r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      out.set(k, r);
    }
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return [...out.values()];
}
