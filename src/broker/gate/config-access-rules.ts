/**
 * The authorization of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs, per resource as
 * Kafka's AuthHelper / ConfigAdminManager does it: a TOPIC resource needs DESCRIBE_CONFIGS (or
 * ALTER_CONFIGS) on the topic (TOPIC_AUTHORIZATION_FAILED), a BROKER, BROKER_LOGGER or
 * CLIENT_METRICS resource on the cluster (CLUSTER_AUTHORIZATION_FAILED), a GROUP resource on the
 * group (GROUP_AUTHORIZATION_FAILED); denied resources answer that error and are not touched.
 * An unknown resource type is left to the handler (INVALID_REQUEST).
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { AlterConfigsRequest, AlterConfigsResponseInit } from '../../protocol/generated/messages/alter-configs.js';
import type { DescribeConfigsRequest, DescribeConfigsResponseInit } from '../../protocol/generated/messages/describe-configs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInit } from '../../protocol/generated/messages/incremental-alter-configs.js';
import { AclOperation } from '../authorized-operations.js';
import { perResource, type AccessRule } from './access-rule.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Action } from './authorizer.js';

/** Kafka's ConfigResource.Type codes. */
const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

/** A resource's answer in AlterConfigs and IncrementalAlterConfigs responses. */
type AlterResult = { errorCode?: number | undefined; errorMessage?: string | null | undefined; resourceType?: number | undefined; resourceName?: string | undefined };

function actionOf(operation: Action['operation'], r: ConfigResource): Action | undefined {
  switch (r.resourceType) {
    case ConfigResourceType.TOPIC:
      return { operation, resource: topicResource(r.resourceName) };
    case ConfigResourceType.BROKER:
    case ConfigResourceType.BROKER_LOGGER:
    case ConfigResourceType.CLIENT_METRICS:
      return { operation, resource: CLUSTER_RESOURCE };
    case ConfigResourceType.GROUP:
      return { operation, resource: { type: ResourceType.GROUP, name: r.resourceName } };
    default:
      return undefined;
  }
}

export function configDeniedCode(resourceType: number): number {
  if (resourceType === ConfigResourceType.TOPIC) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (resourceType === ConfigResourceType.GROUP) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

const describeConfigs = perResource<DescribeConfigsRequest, DescribeConfigsResponseInit, DescribeConfigsRequest['resources'][number]>(32, {
  items: (req) => req.resources,
  actionOf: (r) => actionOf(AclOperation.DESCRIBE_CONFIGS, r),
  withItems: (req, resources) => ({ ...req, resources }),
  addDenied: (res, denied) => ({
    ...res,
    results: [...(res.results ?? []), ...denied.map((r) => ({ errorCode: configDeniedCode(r.resourceType), errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }))],
  }),
});

/** AlterConfigs and IncrementalAlterConfigs: ALTER_CONFIGS on each resource; a denied one answers its error. */
function alterRule<Req extends { resources: readonly ConfigResource[] }, Res extends { responses?: readonly AlterResult[] | undefined }>(apiKey: number): AccessRule<Req, Res> {
  return perResource<Req, Res, Req['resources'][number]>(apiKey, {
    items: (req) => req.resources,
    actionOf: (r) => actionOf(AclOperation.ALTER_CONFIGS, r),
    withItems: (req, resources) => ({ ...req, resources }),
    addDenied: (res, denied) => ({
      ...res,
      responses: [...(res.responses ?? []), ...denied.map((r) => ({ errorCode: configDeniedCode(r.resourceType), errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }))],
    }),
  });
}

const alterConfigs = alterRule<AlterConfigsRequest, AlterConfigsResponseInit>(33);
const incrementalAlterConfigs = alterRule<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInit>(44);

export const configAccessRules: readonly AccessRule<unknown, unknown>[] = [describeConfigs, alterConfigs, incrementalAlterConfigs] as AccessRule<unknown, unknown>[];
