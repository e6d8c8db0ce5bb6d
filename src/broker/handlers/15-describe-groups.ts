/**
 * DescribeGroups (key 15), v0-5.
 * Version notes: v3+ may ask for authorized operations (no ACLs: every group operation — Read,
 * Describe, Delete, DescribeConfigs, AlterConfigs — is reported, as Kafka 4); v4+ returns members' group.instance.id. Member metadata,
 * assignments and the protocol name are only filled in while the group is Stable; an unknown
 * group is reported as Dead with no error, as Kafka does.
 */
import {
  decodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponseInit,
} from '../../protocol/generated/messages/describe-groups.js';
import { describeGroup } from '../../group/admin.js';
import type { GroupDeps } from './group-context.js';
import { mapSliced, sliceWork } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED as NOT_REQUESTED, GROUP_OPERATIONS } from '../authorized-operations.js';

export function describeGroupsHandler(deps: GroupDeps): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponseInit> {
  return defineHandler<DescribeGroupsRequest, DescribeGroupsResponseInit>({
    apiKey: 15,
    name: 'DescribeGroups',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeDescribeGroupsRequest,
    encode: encodeDescribeGroupsResponse,
    handle(ctx, req) {
      const c = deps.groups;
      const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
      // In time slices (common/yield.ts): a request may name a million groups.
      return sliceWork(function* (slice) {
        return { throttleTimeMs: 0, groups: yield* mapSliced(req.groups, slice, (g) => ({ ...describeGroup(c, g), authorizedOperations: ops })) };
      });
    },
    errorResponse(req, errorCode) {
      return { groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NOT_REQUESTED })) };
    },
  });
}
