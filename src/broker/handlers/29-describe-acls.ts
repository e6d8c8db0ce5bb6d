/**
 * DescribeAcls (key 29), v0-3.
 * Version notes: v0 has no pattern type filter (it is LITERAL); v1+ pattern types (ANY, MATCH,
 * LITERAL, PREFIXED); v2+ flexible. Kafka's rules: DESCRIBE on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED, checked by the gate); without an authorizer SECURITY_DISABLED; a
 * filter with an UNKNOWN element INVALID_REQUEST; the matching bindings are answered grouped by
 * resource pattern.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { filterMatches, PatternType, validateFilter, type AclBinding, type AclFilter } from '../../auth/acl.js';
import type { MetadataStore } from '../../metadata/store.js';
import {
  decodeDescribeAclsRequest,
  encodeDescribeAclsResponse,
  type DescribeAclsRequest,
  type DescribeAclsResponseInit,
} from '../../protocol/generated/messages/describe-acls.js';
import { defineHandler, type ApiHandler } from '../handler.js';

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

export function describeAclsHandler(deps: AclDeps): ApiHandler<DescribeAclsRequest, DescribeAclsResponseInit> {
  return defineHandler<DescribeAclsRequest, DescribeAclsResponseInit>({
    apiKey: 29,
    name: 'DescribeAcls',
    minVersion: 1,
    maxVersion: 3,
    oldestDecodable: 0,
    decode: decodeDescribeAclsRequest,
    encode: encodeDescribeAclsResponse,
    handle(ctx, req) {
      if (!deps.aclsEnabled) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED_MESSAGE, resources: [] };
      const filter = describeFilter(req, ctx.apiVersion);
      const invalid = validateFilter(filter);
      if (invalid !== undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, resources: [] };
      const matching = deps.metadata.image().acls().filter((b) => filterMatches(filter, b));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: groupByResource(matching) };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, resources: [] };
    },
  });
}
