/**
 * AlterConfigs (key 33), v0-2 (v2+ flexible). Replaces all config overrides of each resource with
 * the given set (entries with a null value are dropped, as Kafka does): TOPIC overrides, or the
 * dynamic configs of BROKER <this node id> / BROKER '' (cluster default). Unknown or invalid topic
 * configs: INVALID_CONFIG; broker configs that are not dynamically updatable: INVALID_REQUEST.
 * validateOnly checks without applying. Changes are persisted and take effect at once.
 */
import {
  decodeAlterConfigsRequest,
  encodeAlterConfigsResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponseInit,
} from '../../protocol/generated/messages/alter-configs.js';
import { checkDuplicateKeys } from '../../config/config-alter.js';
import { type ApiHandler, defineHandler } from '../handler.js';
import { alterResources, type ConfigResourceDeps } from './config-resources.js';

export function alterConfigsHandler(deps: ConfigResourceDeps): ApiHandler<AlterConfigsRequest, AlterConfigsResponseInit> {
  return defineHandler<AlterConfigsRequest, AlterConfigsResponseInit>({
    apiKey: 33,
    name: 'AlterConfigs',
    minVersion: 0,
    maxVersion: 2,
    decode: decodeAlterConfigsRequest,
    encode: encodeAlterConfigsResponse,
    async handle(ctx, req) {
      const responses = await alterResources(deps, req.resources, req.validateOnly, (r) => {
        checkDuplicateKeys(r.configs.map((c) => c.name));
        const next: Record<string, string> = {};
        for (const c of r.configs) if (c.value !== null) next[c.name] = c.value;
        return next;
      });
      return { throttleTimeMs: 0, responses };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
    },
  });
}
