/**
 * ListGroups (key 16), v0-5.
 * Version notes: v4+ filters by state (case-insensitive); v5+ filters by type and reports each
 * group's type ("classic", "consumer" (KIP-848) or "share" (KIP-932)). While some
 * `__consumer_offsets` partitions are loading, the loaded groups are listed with
 * COORDINATOR_LOAD_IN_PROGRESS.
 */
import {
  decodeListGroupsRequest,
  encodeListGroupsResponse,
  type ListGroupsRequest,
  type ListGroupsResponseInit,
} from '../../protocol/generated/messages/list-groups.js';
import { listGroups } from '../../group/admin.js';
import type { GroupDeps } from './group-context.js';
import type { ShareDeps } from './share-deps.js';
import { listShareGroups } from '../../group/share/share-groups.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function listGroupsHandler(deps: GroupDeps & Partial<Pick<ShareDeps, 'shareGroups'>>): ApiHandler<ListGroupsRequest, ListGroupsResponseInit> {
  return defineHandler<ListGroupsRequest, ListGroupsResponseInit>({
    apiKey: 16,
    name: 'ListGroups',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeListGroupsRequest,
    encode: encodeListGroupsResponse,
    handle(ctx, req) {
      const states = ctx.apiVersion >= 4 ? req.statesFilter : [];
      const types = ctx.apiVersion >= 5 ? req.typesFilter : [];
      const r = listGroups(deps.groups, states, types);
      const shares = deps.shareGroups?.settings.enabled === true ? listShareGroups(deps.shareGroups, (id) => deps.groups.availability(id), states, types) : [];
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups: [...r.groups, ...shares] };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, groups: [] };
    },
  });
}
