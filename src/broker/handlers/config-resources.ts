/**
 * Shared by AlterConfigs and IncrementalAlterConfigs: resource dispatch (TOPIC, BROKER; GROUP for
 * IncrementalAlterConfigs, config/group-config.ts), the duplicate-resource rule, and
 * error-to-response mapping.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { TopicController } from '../topic-controller.js';
import { RESOURCE_TYPE } from './config-sources.js';

/** What AlterConfigs and IncrementalAlterConfigs change configs through: the topic controller. */
export interface ConfigResourceDeps {
  readonly topics: Pick<TopicController, 'topicConfigs' | 'alterTopicConfigs' | 'brokerConfigs' | 'alterBrokerConfigs' | 'alterGroupConfigs'>;
  readonly logger: Logger;
}

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

/**
 * Runs `alter(current) -> next` for each resource and stores `next` (or only validates), one
 * resource after the other. Resources named twice in one request all fail with INVALID_REQUEST,
 * as in Kafka.
 */
export async function alterResources<R extends { resourceType: number; resourceName: string }>(
  deps: ConfigResourceDeps,
  resources: readonly R[],
  validateOnly: boolean,
  next: (r: R, current: Record<string, string>) => Record<string, string>,
  /** BROKER_LOGGER resources (IncrementalAlterConfigs only): absent, they are refused as AlterConfigs refuses them. */
  brokerLogger?: (r: R) => void,
  /** Whether GROUP resources are served (IncrementalAlterConfigs; Kafka's legacy AlterConfigs refuses them). */
  groups = false,
): Promise<ResourceResult[]> {
  const count = new Map<string, number>();
  for (const r of resources) count.set(`${r.resourceType}:${r.resourceName}`, (count.get(`${r.resourceType}:${r.resourceName}`) ?? 0) + 1);
  const { topics, logger } = deps;
  const results: ResourceResult[] = [];
  for (const r of resources) {
    const out: ResourceResult = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if ((count.get(`${r.resourceType}:${r.resourceName}`) ?? 0) > 1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config resources');
      }
      if (r.resourceType === RESOURCE_TYPE.TOPIC) {
        await topics.alterTopicConfigs(r.resourceName, (current) => next(r, current), validateOnly);
      } else if (r.resourceType === RESOURCE_TYPE.BROKER) {
        await topics.alterBrokerConfigs(r.resourceName, (current) => next(r, current), validateOnly);
      } else if (r.resourceType === RESOURCE_TYPE.GROUP && groups) {
        await topics.alterGroupConfigs(r.resourceName, (current) => next(r, current), validateOnly);
      } else if (r.resourceType === RESOURCE_TYPE.BROKER_LOGGER) {
        if (brokerLogger === undefined) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
        brokerLogger(r);
      } else {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
      }
    } catch (e) {
      if (e instanceof KafkaError) {
        out.errorCode = e.code;
        out.errorMessage = e.message;
      } else {
        logger.error(`altering configs of ${r.resourceType}:${r.resourceName} failed`, e);
        out.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
        out.errorMessage = e instanceof Error ? e.message : String(e);
      }
    }
    results.push(out);
  }
  return results;
}
