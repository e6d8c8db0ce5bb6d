/**
 * DescribeCluster (key 60), v0-1.
 * Version notes: v1 adds endpoint type (1 = brokers; 2 = controllers). Kafka's rule: the live
 * brokers with their rack and their endpoint for the listener the request came in on, the
 * controller id and the cluster id. Samsa's controller is one of the brokers (elected in etcd, as
 * in Kafka's ZooKeeper mode; a single node is its own controller), so `controller_id` is that
 * broker (-1 while none is elected) and endpoint type 2 answers with that broker alone.
 * Authorized operations, when asked: no authorizer, so every cluster operation
 * (see authorized-operations.ts).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDescribeClusterRequest,
  encodeDescribeClusterResponse,
  type DescribeClusterRequest,
  type DescribeClusterResponseInit,
} from '../../protocol/generated/messages/describe-cluster.js';
import { endpointFor } from '../../metadata/image.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { CLUSTER_OPERATIONS, authorizedOperations } from '../authorized-operations.js';
import type { MetadataStore } from '../../metadata/store.js';

/** What DescribeCluster reads: the image and the current controller. */
export interface DescribeClusterDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  /** The controller's node id (-1 while none is elected). */
  controllerId(): number;
}

export function describeClusterHandler(deps: DescribeClusterDeps): ApiHandler<DescribeClusterRequest, DescribeClusterResponseInit> {
  return defineHandler<DescribeClusterRequest, DescribeClusterResponseInit>({
    apiKey: 60,
    name: 'DescribeCluster',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeDescribeClusterRequest,
    encode: encodeDescribeClusterResponse,
    handle(ctx, req) {
      const image = deps.metadata.image();
      if (req.endpointType !== 1 && req.endpointType !== 2) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${req.endpointType}`, endpointType: req.endpointType, clusterId: image.clusterId, controllerId: -1, brokers: [] };
      }
      const controllerId = deps.controllerId();
      const brokers = req.endpointType === 1 ? image.brokers() : image.brokers().filter((b) => b.nodeId === controllerId);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: req.endpointType,
        clusterId: image.clusterId,
        controllerId,
        brokers: brokers.map((b) => {
          const e = endpointFor(b, ctx.session.listenerName);
          return { brokerId: b.nodeId, host: e?.host ?? 'localhost', port: e?.port ?? 9092, rack: b.rack };
        }),
        clusterAuthorizedOperations: authorizedOperations(req.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS),
      };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, clusterId: '', brokers: [] };
    },
  });
}
