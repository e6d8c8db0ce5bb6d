/**
 * ListPartitionReassignments (key 46), v0.
 * Version notes: v0 only (flexible). Kafka lists the partitions with a reassignment in progress
 * (all of them for a null topic list; unknown topics and partitions are skipped silently). On one
 * Samsa node a reassignment completes as it is accepted (see 45-alter-partition-reassignments.ts),
 * so the list is always empty.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeListPartitionReassignmentsRequest,
  encodeListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponseInit,
} from '../../protocol/generated/messages/list-partition-reassignments.js';
import { defineHandler } from '../handler.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInit>({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeListPartitionReassignmentsRequest,
  encode: encodeListPartitionReassignmentsResponse,
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
  },
});
