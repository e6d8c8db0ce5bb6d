/**
 * The "consumer" embedded protocol carried opaquely in JoinGroup/SyncGroup: an int16 version
 * followed by ConsumerProtocolSubscription or ConsumerProtocolAssignment. Newer versions are read
 * as the newest one we know (fields are only ever appended), as Kafka's ConsumerProtocol does.
 * Used for describing groups and for offset retention of subscribed topics; the broker never
 * needs to understand it to run a rebalance.
 */
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
  type ConsumerProtocolSubscription,
  type ConsumerProtocolSubscriptionInit,
} from './generated/messages/consumer-protocol-subscription.js';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
  type ConsumerProtocolAssignmentInit,
} from './generated/messages/consumer-protocol-assignment.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const MAX_SUBSCRIPTION_VERSION = 3;
const MAX_ASSIGNMENT_VERSION = 3;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** Decodes a subscription; null when the bytes are not a consumer-protocol subscription. */
export function decodeSubscription(buf: Buffer): ConsumerProtocolSubscription | null {
  if (buf.length < 2) return null;
  try {
    const r = new Reader(buf);
    const version = r.readInt16();
    if (version < 0) return null;
    return decodeConsumerProtocolSubscription(r, Math.min(version, MAX_SUBSCRIPTION_VERSION));
  } catch {
    return null;
  }
}

/** Decodes an assignment; an empty buffer is an empty assignment, malformed bytes give null. */
export function decodeAssignment(buf: Buffer): TopicPartitions[] | null {
  if (buf.length === 0) return [];
  if (buf.length < 2) return null;
  try {
    const r = new Reader(buf);
    const version = r.readInt16();
    if (version < 0) return null;
    const a = decodeConsumerProtocolAssignment(r, Math.min(version, MAX_ASSIGNMENT_VERSION));
    return a.assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }));
  } catch {
    return null;
  }
}

export function encodeSubscription(s: ConsumerProtocolSubscriptionInit, version = 1): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  encodeConsumerProtocolSubscription(w, s, version);
  return w.toBuffer();
}

export function encodeAssignment(a: ConsumerProtocolAssignmentInit, version = 1): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  encodeConsumerProtocolAssignment(w, a, version);
  return w.toBuffer();
}
