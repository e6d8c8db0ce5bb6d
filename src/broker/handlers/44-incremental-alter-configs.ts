/**
 * IncrementalAlterConfigs (key 44), v0-1 (v1+ flexible). Per resource, a list of operations on
 * single configs: SET, DELETE, APPEND and SUBTRACT (the last two on LIST configs such as
 * cleanup.policy; they start from the current override, else the config's default). Resources:
 * TOPIC, BROKER <this node id> (per-broker dynamic), BROKER '' (cluster default),
 * BROKER_LOGGER <this node id> (log levels, broker-logger.ts) and GROUP <group id> (dynamic group
 * configs, config/group-config.ts: consumer.session.timeout.ms, consumer.heartbeat.interval.ms). Errors as in
 * AlterConfigs, plus INVALID_REQUEST for duplicate keys, null values and unknown operations.
 * validateOnly checks without applying.
 */
import { brokerConfigByName } from '../../config/broker-config-defs.js';
import { applyIncrementalOps } from '../../config/config-alter.js';
import { topicConfigByName } from '../../config/topic-config.js';
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponseInit,
} from '../../protocol/generated/messages/incremental-alter-configs.js';
import { type ApiHandler, defineHandler } from '../handler.js';
import { RESOURCE_TYPE } from './config-sources.js';
import { alterResources, type ConfigResourceDeps } from './config-resources.js';
import { alterBrokerLoggers, checkBrokerLoggerName } from './broker-logger.js';

export function incrementalAlterConfigsHandler(deps: ConfigResourceDeps & { readonly nodeId: number }): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInit> {
  return defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInit>({
    apiKey: 44,
    name: 'IncrementalAlterConfigs',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeIncrementalAlterConfigsRequest,
    encode: encodeIncrementalAlterConfigsResponse,
    async handle(ctx, req) {
      const responses = await alterResources(
        deps,
        req.resources,
        req.validateOnly,
        (r, current) => applyIncrementalOps(current, r.configs, (name) => (r.resourceType === RESOURCE_TYPE.TOPIC ? topicConfigByName.get(name) : r.resourceType === RESOURCE_TYPE.GROUP ? undefined : brokerConfigByName.get(name))),
        (r) => {
          checkBrokerLoggerName(r.resourceName, deps.nodeId);
          alterBrokerLoggers(deps.logger, r.configs, req.validateOnly);
          if (!req.validateOnly) deps.logger.info(`Log levels changed (BROKER_LOGGER ${r.resourceName}): ${r.configs.map((c) => `${c.name}=${c.configOperation === 1 ? '(parent)' : (c.value ?? '')}`).join(', ')}`);
        },
        true,
      );
      return { throttleTimeMs: 0, responses };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
    },
  });
}
