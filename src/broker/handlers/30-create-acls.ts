/**
 * CreateAcls (key 30), v0-3.
 * Version notes: v0 has no pattern type (LITERAL); v1+ LITERAL or PREFIXED; v2+ flexible.
 * Kafka's rules: ALTER on the cluster (else every result CLUSTER_AUTHORIZATION_FAILED, checked by
 * the gate); without an authorizer SECURITY_DISABLED; each creation is validated on its own
 * (INVALID_REQUEST with Kafka's message) and the valid ones are written together (one metadata
 * commit: every broker of a cluster applies them); a binding that exists already succeeds.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { PatternType, validateNewAcl, type AclBinding } from '../../auth/acl.js';
import {
  decodeCreateAclsRequest,
  encodeCreateAclsResponse,
  type CreateAclsRequest,
  type CreateAclsResponseInit,
} from '../../protocol/generated/messages/create-acls.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { commitError, SECURITY_DISABLED_MESSAGE, type AclDeps } from './acl-deps.js';

export function createAclsHandler(deps: AclDeps): ApiHandler<CreateAclsRequest, CreateAclsResponseInit> {
  return defineHandler<CreateAclsRequest, CreateAclsResponseInit>({
    apiKey: 30,
    name: 'CreateAcls',
    minVersion: 1,
    maxVersion: 3,
    oldestDecodable: 0,
    decode: decodeCreateAclsRequest,
    encode: encodeCreateAclsResponse,
    async handle(ctx, req) {
      if (!deps.aclsEnabled) return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: SECURITY_DISABLED_MESSAGE })) };
      const results = req.creations.map(() => ({ errorCode: ErrorCode.NONE as number, errorMessage: null as string | null }));
      const valid: AclBinding[] = [];
      const validAt: number[] = [];
      req.creations.forEach((c, i) => {
        const b: AclBinding = {
          resourceType: c.resourceType,
          resourceName: c.resourceName,
          patternType: ctx.apiVersion >= 1 ? c.resourcePatternType : PatternType.LITERAL,
          principal: c.principal,
          host: c.host,
          operation: c.operation,
          permissionType: c.permissionType,
        };
        const problem = validateNewAcl(b);
        const r = results[i];
        if (r === undefined) return;
        if (problem !== undefined) {
          r.errorCode = problem.errorCode;
          r.errorMessage = problem.message;
          return;
        }
        valid.push(b);
        validAt.push(i);
      });
      if (valid.length > 0) {
        try {
          await deps.metadata.commit({ createdAcls: valid });
        } catch (e) {
          const failed = commitError(e);
          for (const i of validAt) {
            const r = results[i];
            if (r !== undefined) Object.assign(r, failed);
          }
        }
      }
      return { throttleTimeMs: 0, results };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage: null })) };
    },
  });
}
