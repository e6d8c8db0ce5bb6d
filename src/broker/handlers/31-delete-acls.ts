/**
 * DeleteAcls (key 31), v0-3.
 * Version notes: v0 filters have no pattern type (LITERAL); v1+ ANY / MATCH / LITERAL / PREFIXED;
 * v2+ flexible. Kafka's rules: ALTER on the cluster (else every filter result
 * CLUSTER_AUTHORIZATION_FAILED, checked by the gate); without an authorizer SECURITY_DISABLED;
 * each filter answers the bindings it matched (and removed); a filter with an UNKNOWN element
 * INVALID_REQUEST. The removals of all filters are one metadata commit.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { aclKey, filterMatches, validateFilter, type AclBinding } from '../../auth/acl.js';
import {
  decodeDeleteAclsRequest,
  encodeDeleteAclsResponse,
  type DeleteAclsRequest,
  type DeleteAclsResponseInit,
} from '../../protocol/generated/messages/delete-acls.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { commitError, requestFilter, SECURITY_DISABLED_MESSAGE, type AclDeps } from './acl-deps.js';

type FilterResult = NonNullable<DeleteAclsResponseInit['filterResults']>[number];

export function deleteAclsHandler(deps: AclDeps): ApiHandler<DeleteAclsRequest, DeleteAclsResponseInit> {
  return defineHandler<DeleteAclsRequest, DeleteAclsResponseInit>({
    apiKey: 31,
    name: 'DeleteAcls',
    minVersion: 1,
    maxVersion: 3,
    oldestDecodable: 0,
    decode: decodeDeleteAclsRequest,
    encode: encodeDeleteAclsResponse,
    async handle(ctx, req) {
      if (!deps.aclsEnabled) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED_MESSAGE, matchingAcls: [] })) };
      const acls = deps.metadata.image().acls();
      const doomed = new Map<string, AclBinding>();
      const results: FilterResult[] = req.filters.map((f) => {
        const filter = requestFilter(f, ctx.apiVersion);
        const invalid = validateFilter(filter);
        if (invalid !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
        const matching = acls.filter((b) => filterMatches(filter, b));
        for (const b of matching) doomed.set(aclKey(b), b);
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matching.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
        };
      });
      if (doomed.size > 0) {
        try {
          await deps.metadata.commit({ deletedAcls: [...doomed.values()] });
        } catch (e) {
          const failed = commitError(e);
          return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ ...failed, matchingAcls: [] })) };
        }
      }
      return { throttleTimeMs: 0, filterResults: results };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) };
    },
  });
}
