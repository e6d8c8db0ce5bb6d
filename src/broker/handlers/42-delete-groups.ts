/**
 * DeleteGroups (key 42), v0-2.
 * Version notes: each group is deleted only when Empty (NON_EMPTY_GROUP otherwise,
 * GROUP_ID_NOT_FOUND when unknown): tombstones for its offsets and its metadata are written
 * before it is forgotten. A share group (KIP-932) is deleted by its share groups
 * (group/share/share-groups.ts): its share-partitions' state, then its records.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDeleteGroupsRequest,
  encodeDeleteGroupsResponse,
  type DeleteGroupsRequest,
  type DeleteGroupsResponseInit,
} from '../../protocol/generated/messages/delete-groups.js';
import { deleteGroup } from '../../group/admin.js';
import type { GroupDeps } from './group-context.js';
import type { ShareDeps } from './share-deps.js';
import { mapSliced, sliceWork } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function deleteGroupsHandler(deps: GroupDeps & Pick<ShareDeps, 'shareGroups'>): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponseInit> {
  return defineHandler<DeleteGroupsRequest, DeleteGroupsResponseInit>({
    apiKey: 42,
    name: 'DeleteGroups',
    minVersion: 0,
    maxVersion: 2,
    decode: decodeDeleteGroupsRequest,
    encode: encodeDeleteGroupsResponse,
    handle(ctx, req) {
      const c = deps.groups;
      // In time slices (common/yield.ts): groups are deleted independently of one another.
      const started = sliceWork(function* (slice) {
        return yield* mapSliced(req.groupsNames, slice, (groupId) => (groupId === '' ? Promise.resolve<number>(ErrorCode.INVALID_GROUP_ID) : c.isShareGroup(groupId) ? deps.shareGroups.delete(groupId) : deleteGroup(c, groupId)));
      });
      return Promise.resolve(started)
        .then((codes) => Promise.all(codes))
        .then((codes) => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId, i) => ({ groupId, errorCode: codes[i] as number })) }));
    },
    errorResponse(req, errorCode) {
      return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
    },
  });
}
