/**
 * What the ACL APIs (DescribeAcls, CreateAcls, DeleteAcls) share: their services, Kafka's
 * SECURITY_DISABLED message, DescribeAcls' filter (v0: LITERAL patterns only) and the grouping of
 * bindings by resource pattern in its answer.
 */
import { PatternType, type AclBinding, type AclFilter } from '../../auth/acl.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { DescribeAclsRequest, DescribeAclsResponseInit } from '../../protocol/generated/messages/describe-acls.js';

export interface AclDeps {
  readonly metadata: Pick<MetadataStore, 'image' | 'commit'>;
  /** Whether an authorizer is configured (else the ACL APIs answer SECURITY_DISABLED). */
  readonly aclsEnabled: boolean;
}

export const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker';

/** The filter of a DescribeAcls request (v0: LITERAL patterns only). */
export function describeFilter(req: DescribeAclsRequest, apiVersion: number): AclFilter {
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
