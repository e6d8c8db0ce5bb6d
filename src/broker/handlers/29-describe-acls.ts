/**
 * DescribeAcls (key 29), v0-3.
 * Version notes: v0 has no pattern type filter (it is LITERAL); v1+ pattern types (ANY, MATCH,
 * LITERAL, PREFIXED); v2+ flexible. Kafka's rules: DESCRIBE on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED, checked by the gate); without an authorizer SECURITY_DISABLED; a
 * filter with an UNKNOWN element INVALID_REQUEST; the matching bindings are answered grouped by
 * resource pattern.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { filterMatches, validateFilter } from '../../auth/acl.js';
import {
  decodeDescribeAclsRequest,
  encodeDescribeAclsResponse,
  type DescribeAclsRequest,
  type DescribeAclsResponseInit,
} from '../../protocol/generated/messages/describe-acls.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { requestFilter, groupByResource, SECURITY_DISABLED_MESSAGE, type AclDeps } from './acl-deps.js';

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
      const filter = requestFilter(req, ctx.apiVersion);
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
