/**
 * DescribeCluster (key 60), v0-1.
 * Version notes: v1 adds endpoint type (1 = brokers; 2 = controllers, answered with this node
 * too, since a single Samsa node is its own controller). Authorized operations, when asked: no
 * authorizer, so every cluster operation (see authorized-operations.ts).
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

/** What DescribeCluster reads: the image and this node id. */
export interface DescribeClusterDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly nodeId: number;
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
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: req.endpointType,
        clusterId: image.clusterId,
        controllerId: deps.nodeId,
        brokers: image.brokers().map((b) => {
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
