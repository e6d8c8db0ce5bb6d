/**
 * UnregisterBroker (key 64), v0.
 * Version notes: v0 only (flexible). Kafka's controller removes a broker's registration (used
 * after decommissioning a broker, so that a dead one stops appearing in the cluster):
 * BROKER_ID_NOT_REGISTERED when the id has none. Authorized as ALTER on the cluster (gate).
 * In a cluster on etcd the registration is a key bound to the broker's lease: the lease is
 * revoked, so a dead broker's registration goes at once rather than after
 * broker.session.timeout.ms; a broker that is in fact alive registers again (as after a freeze),
 * which is what a KRaft broker that still heartbeats does too.
 * Samsa deviation: a single node cannot unregister itself (INVALID_REQUEST): it is the whole
 * cluster, and no other id is registered there (BROKER_ID_NOT_REGISTERED).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeUnregisterBrokerRequest,
  encodeUnregisterBrokerResponse,
  type UnregisterBrokerRequest,
  type UnregisterBrokerResponseInit,
} from '../../protocol/generated/messages/unregister-broker.js';
import { defineHandler, type ApiHandler } from '../handler.js';

/** Removes a registration (the etcd store's unregisterBroker); resolves false when there was none. */
export interface BrokerUnregistrar {
  unregister(nodeId: number): Promise<boolean>;
}

export interface UnregisterBrokerDeps {
  readonly nodeId: number;
  /** Null on a single node. */
  readonly registrations?: BrokerUnregistrar | null;
}

export function unregisterBrokerHandler(deps: UnregisterBrokerDeps): ApiHandler<UnregisterBrokerRequest, UnregisterBrokerResponseInit> {
  return defineHandler<UnregisterBrokerRequest, UnregisterBrokerResponseInit>({
    apiKey: 64,
    name: 'UnregisterBroker',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeUnregisterBrokerRequest,
    encode: encodeUnregisterBrokerResponse,
    async handle(_ctx, req) {
      const notRegistered = { throttleTimeMs: 0, errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ID ${req.brokerId} is not currently registered` };
      const registrations = deps.registrations ?? null;
      if (registrations === null) {
        if (req.brokerId !== deps.nodeId) return notRegistered;
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'A single node cannot unregister itself.' };
      }
      if (!(await registrations.unregister(req.brokerId))) return notRegistered;
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null };
    },
  });
}
