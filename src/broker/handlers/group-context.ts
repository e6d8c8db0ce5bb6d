/** Small helpers the group API handlers share (not a handler: no NN- prefix). */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { GroupCoordinator } from '../../group/coordinator.js';
import type { RequestContext } from '../handler.js';

/** What the group API handlers use: the group coordinator. */
export interface GroupDeps {
  readonly groups: GroupCoordinator;
}

/** Kafka reports a member's host as InetAddress.toString(): "/127.0.0.1". */
export function clientHostOf(ctx: RequestContext): string {
  const addr = ctx.connection.remoteAddress.startsWith('::ffff:') ? ctx.connection.remoteAddress.slice(7) : ctx.connection.remoteAddress;
  return `/${addr}`;
}

/** Rejects an empty group id (INVALID_GROUP_ID) and a coordinator that cannot serve the group yet. */
export function checkGroupRequest(c: GroupCoordinator, groupId: string): void {
  if (groupId === '') throw new KafkaError(ErrorCode.INVALID_GROUP_ID, 'The group id must not be empty');
  c.checkAvailable(groupId);
}
