/**
 * DescribeConfigs (key 32), v1-4 advertised (v0 still decodes).
 * Version notes: v1+ config source and synonyms (when asked); v3+ config type and documentation
 * (documentation is always null); v4+ flexible. Resources: topics (2), brokers (4; name = this
 * node's id, or empty for cluster defaults), broker loggers (8, answered with no entries).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { brokerConfigDefs } from '../../config/broker-config-defs.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import { formatConfigValue } from '../../config/config-types.js';
import { resolveTopicConfigs } from '../../config/topic-config-resolver.js';
import { topicConfigByName } from '../../config/topic-config.js';
import {
  decodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponseInit,
} from '../../protocol/generated/messages/describe-configs.js';
import { defineHandler } from '../handler.js';
import { CONFIG_SOURCE, RESOURCE_TYPE } from './config-sources.js';

type ResultOut = NonNullable<DescribeConfigsResponseInit['results']>[number];
type EntryOut = NonNullable<ResultOut['configs']>[number];

function topicEntries(config: BrokerConfig, overrides: Record<string, string>, withSynonyms: boolean): EntryOut[] {
  const out: EntryOut[] = [];
  for (const c of resolveTopicConfigs(config, overrides).values()) {
    const def = topicConfigByName.get(c.name);
    const source = c.source === 'topic' ? CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG : c.source === 'broker' ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG;
    const synonyms: { name: string; value: string | null; source: number }[] = [];
    if (withSynonyms) {
      if (c.source === 'topic') synonyms.push({ name: c.name, value: overrides[c.name] ?? null, source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
      if (c.brokerSynonym !== null) synonyms.push({ name: c.brokerSynonym, value: formatConfigValue(config.get(c.brokerSynonym)), source: CONFIG_SOURCE.STATIC_BROKER_CONFIG });
      const first = def?.synonyms[0];
      if (first !== undefined) {
        const d = brokerConfigDefs.find((b) => b.name === first);
        if (d && d.defaultValue !== null) synonyms.push({ name: first, value: formatConfigValue(d.defaultValue), source: CONFIG_SOURCE.DEFAULT_CONFIG });
      }
    }
    out.push({
      name: c.name,
      value: def?.sensitive ? null : formatConfigValue(c.value),
      readOnly: false,
      isDefault: c.source !== 'topic',
      configSource: source,
      isSensitive: def?.sensitive ?? false,
      synonyms,
      configType: def?.type ?? 0,
      documentation: null,
    });
  }
  return out;
}

function brokerEntries(config: BrokerConfig, withSynonyms: boolean): EntryOut[] {
  return brokerConfigDefs.map((def) => {
    const set = config.has(def.name);
    const value = def.sensitive ? null : formatConfigValue(config.get(def.name));
    const source = set ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG;
    return {
      name: def.name,
      value,
      readOnly: def.readOnly ?? true,
      isDefault: !set,
      configSource: source,
      isSensitive: def.sensitive ?? false,
      synonyms: withSynonyms && value !== null ? [{ name: def.name, value, source }] : [],
      configType: def.type,
      documentation: null,
    };
  });
}

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponseInit>({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  decode: decodeDescribeConfigsRequest,
  encode: encodeDescribeConfigsResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const withSynonyms = ctx.apiVersion >= 1 && req.includeSynonyms;
    const results: ResultOut[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.NONE, errorMessage: null as string | null };
      let entries: EntryOut[];
      if (r.resourceType === RESOURCE_TYPE.TOPIC) {
        const t = broker.metadata.topic(r.resourceName);
        if (!t) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.resourceName}' does not exist`, configs: [] };
        entries = topicEntries(broker.config, t.configs, withSynonyms);
      } else if (r.resourceType === RESOURCE_TYPE.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(broker.nodeId)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
        }
        entries = brokerEntries(broker.config, withSynonyms);
      } else if (r.resourceType === RESOURCE_TYPE.BROKER_LOGGER) {
        entries = [];
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
      }
      if (r.configurationKeys !== null) {
        const keys = new Set(r.configurationKeys);
        entries = entries.filter((e) => keys.has(e.name as string));
      }
      return { ...base, configs: entries };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) };
  },
});
