/**
 * DescribeConfigs (key 32), v1-4 advertised (v0 still decodes).
 * Version notes: v1+ config source and synonyms (when asked); v3+ config type and documentation
 * (documentation is always null); v4+ flexible. Resources: topics (2), brokers (4; name = this
 * node's id: every property with its source — dynamic per-broker, dynamic cluster default, static,
 * default — and readOnly unless dynamically updatable; empty name: only the dynamic cluster
 * defaults), broker loggers (8, name = this node's id: every logger with its level, broker-logger.ts),
 * groups (32, name = a group id: its group configs, config/group-config.ts). Synonyms list every level at which a
 * config (and, for topics, its broker synonyms) is set, most specific first, then the default.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { brokerConfigByName, brokerConfigDefs } from '../../config/broker-config-defs.js';
import type { BrokerConfig, BrokerConfigLevel } from '../../config/broker-config.js';
import { isDynamicBrokerConfig } from '../../config/dynamic-broker-config.js';
import { formatConfigValue, type ConfigKeyDef } from '../../config/config-types.js';
import { resolveTopicConfigs } from '../../config/topic-config-resolver.js';
import { topicConfigByName } from '../../config/topic-config.js';
import {
  decodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponseInit,
} from '../../protocol/generated/messages/describe-configs.js';
import { sliceWork } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { CONFIG_SOURCE, RESOURCE_TYPE } from './config-sources.js';
import { checkBrokerLoggerName, describeBrokerLoggers, type BrokerLoggerLevels } from './broker-logger.js';
import type { MetadataStore } from '../../metadata/store.js';
import { GROUP_CONFIG_DEFS, groupConfigValue } from '../../config/group-config.js';

type ResultOut = NonNullable<DescribeConfigsResponseInit['results']>[number];
type EntryOut = NonNullable<ResultOut['configs']>[number];
type Synonym = { name: string; value: string | null; source: number };

const LEVEL_SOURCE: Record<BrokerConfigLevel, number> = {
  'dynamic-broker': CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG,
  'dynamic-default': CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG,
  static: CONFIG_SOURCE.STATIC_BROKER_CONFIG,
  default: CONFIG_SOURCE.DEFAULT_CONFIG,
};
const SET_LEVELS = ['dynamic-broker', 'dynamic-default', 'static'] as const;

/** Broker properties standing for one another, most specific first (Kafka's broker synonyms). */
const BROKER_SYNONYMS: readonly (readonly string[])[] = [
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
];

function brokerFamily(name: string): readonly string[] {
  for (const f of BROKER_SYNONYMS) {
    const i = f.indexOf(name);
    if (i >= 0) return f.slice(i);
  }
  return [name];
}

/** Every level at which the broker properties `names` are set, then the first built-in default. */
function brokerSynonyms(config: BrokerConfig, names: readonly string[], sensitive: boolean): Synonym[] {
  const out: Synonym[] = [];
  for (const n of names) {
    for (const level of SET_LEVELS) {
      const v = config.valueAt(n, level);
      if (v !== undefined) out.push({ name: n, value: sensitive ? null : formatConfigValue(v), source: LEVEL_SOURCE[level] });
    }
  }
  for (const n of names) {
    const d = brokerConfigByName.get(n);
    if (d !== undefined && d.defaultValue !== null) {
      out.push({ name: n, value: sensitive ? null : formatConfigValue(d.defaultValue), source: CONFIG_SOURCE.DEFAULT_CONFIG });
      break;
    }
  }
  return out;
}

function topicEntries(config: BrokerConfig, overrides: Record<string, string>, withSynonyms: boolean): EntryOut[] {
  const out: EntryOut[] = [];
  for (const c of resolveTopicConfigs(config, overrides).values()) {
    const def = topicConfigByName.get(c.name);
    const sensitive = def?.sensitive ?? false;
    const source = c.source === 'topic' ? CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG : c.source === 'broker' ? LEVEL_SOURCE[c.brokerLevel] : CONFIG_SOURCE.DEFAULT_CONFIG;
    const synonyms: Synonym[] = [];
    if (withSynonyms) {
      if (c.source === 'topic') synonyms.push({ name: c.name, value: sensitive ? null : (overrides[c.name] ?? null), source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
      synonyms.push(...brokerSynonyms(config, def?.synonyms ?? [], sensitive));
    }
    out.push({
      name: c.name,
      value: sensitive ? null : formatConfigValue(c.value),
      readOnly: false,
      isDefault: c.source !== 'topic',
      configSource: source,
      isSensitive: sensitive,
      synonyms,
      configType: def?.type ?? 0,
      documentation: null,
    });
  }
  return out;
}

/** BROKER <node id>: every broker property with its effective value and source, then the dynamic per-listener settings. */
function brokerEntries(config: BrokerConfig, withSynonyms: boolean): EntryOut[] {
  return [...brokerDefEntries(config, withSynonyms), ...listenerDynamicEntries(config, withSynonyms)];
}

/** Dynamic settings that are not broker properties themselves (listener.name.<l>.max.connections ...), per broker before the default. */
function listenerDynamicEntries(config: BrokerConfig, withSynonyms: boolean): EntryOut[] {
  const out = new Map<string, EntryOut>();
  for (const level of ['dynamic-default', 'dynamic-broker'] as const) {
    for (const [name, v] of config.dynamicEntries(level)) {
      if (brokerConfigByName.has(name)) continue;
      const def = dynamicDef(name);
      const sensitive = def === undefined || def.sensitive === true;
      const value = sensitive ? null : formatConfigValue(v);
      const source = LEVEL_SOURCE[level];
      out.set(name, { name, value, readOnly: false, isDefault: false, configSource: source, isSensitive: sensitive, synonyms: withSynonyms ? [{ name, value, source }] : [], configType: def?.type ?? 0, documentation: null });
    }
  }
  return [...out.values()];
}

function brokerDefEntries(config: BrokerConfig, withSynonyms: boolean): EntryOut[] {
  return brokerConfigDefs.map((def) => {
    const sensitive = def.sensitive ?? false;
    const level = config.level(def.name);
    return {
      name: def.name,
      value: sensitive ? null : formatConfigValue(config.get(def.name)),
      readOnly: !isDynamicBrokerConfig(def.name),
      isDefault: level === 'default',
      configSource: LEVEL_SOURCE[level],
      isSensitive: sensitive,
      synonyms: withSynonyms ? brokerSynonyms(config, brokerFamily(def.name), sensitive) : [],
      configType: def.type,
      documentation: null,
    };
  });
}

/** The definition of a dynamic setting: its own, or for listener.name.<l>.<setting> the setting's (as sensitive as it). */
function dynamicDef(name: string): ConfigKeyDef | undefined {
  const base = /^listener\.name\.[^.]+\.(.+)$/.exec(name)?.[1];
  return brokerConfigByName.get(name) ?? (base === undefined ? undefined : brokerConfigByName.get(base));
}

/** GROUP <id>: every group config (config/group-config.ts), the group's override (GROUP_CONFIG) or the broker's value (DEFAULT_CONFIG), as Kafka. */
function groupEntries(config: BrokerConfig, overrides: Readonly<Record<string, string>>, withSynonyms: boolean): EntryOut[] {
  return GROUP_CONFIG_DEFS.map((def) => {
    const { value, overridden } = groupConfigValue(def, overrides, config);
    const source = overridden ? CONFIG_SOURCE.GROUP_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG;
    return {
      name: def.name,
      value: String(value),
      readOnly: false,
      isDefault: !overridden,
      configSource: source,
      isSensitive: false,
      synonyms: withSynonyms ? [{ name: def.name, value: String(value), source }] : [],
      configType: def.type,
      documentation: null,
    };
  });
}

/** BROKER '' (cluster default): only the dynamic cluster-wide defaults, as Kafka. */
function clusterDefaultEntries(config: BrokerConfig, withSynonyms: boolean): EntryOut[] {
  const out: EntryOut[] = [];
  for (const [name, v] of config.dynamicEntries('dynamic-default')) {
    const def = dynamicDef(name);
    const sensitive = def?.sensitive ?? false;
    const value = sensitive ? null : formatConfigValue(v);
    out.push({
      name,
      value,
      readOnly: false,
      isDefault: false,
      configSource: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG,
      isSensitive: sensitive,
      synonyms: withSynonyms ? [{ name, value, source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG }] : [],
      configType: def?.type ?? 0,
      documentation: null,
    });
  }
  return out;
}

type Resource = DescribeConfigsRequest['resources'][number];

/** One resource's answer; `keys`: the configuration keys asked for (null: all). */
function describeResource(deps: DescribeConfigsDeps, r: Resource, withSynonyms: boolean, keys: ReadonlySet<string> | null): ResultOut {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.NONE, errorMessage: null as string | null };
  let entries: EntryOut[];
  if (r.resourceType === RESOURCE_TYPE.TOPIC) {
    const t = deps.metadata.image().topic(r.resourceName);
    if (!t) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.resourceName}' does not exist`, configs: [] };
    entries = topicEntries(deps.config, t.configs, withSynonyms);
  } else if (r.resourceType === RESOURCE_TYPE.BROKER) {
    if (r.resourceName !== '' && r.resourceName !== String(deps.nodeId)) {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${deps.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
    }
    entries = r.resourceName === '' ? clusterDefaultEntries(deps.config, withSynonyms) : brokerEntries(deps.config, withSynonyms);
  } else if (r.resourceType === RESOURCE_TYPE.GROUP) {
    if (r.resourceName === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty', configs: [] };
    entries = groupEntries(deps.config, deps.metadata.image().groupConfigs(r.resourceName), withSynonyms);
  } else if (r.resourceType === RESOURCE_TYPE.BROKER_LOGGER) {
    try {
      checkBrokerLoggerName(r.resourceName, deps.nodeId);
    } catch (e) {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: (e as Error).message, configs: [] };
    }
    entries = describeBrokerLoggers(deps.logger);
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
  }
  if (keys !== null) entries = entries.filter((e) => keys.has(e.name as string));
  return { ...base, configs: entries };
}

/** What DescribeConfigs reads: the image (topic overrides), the broker configs and this node id. */
export interface DescribeConfigsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly config: BrokerConfig;
  readonly nodeId: number;
  /** The broker's logger: its components and levels are the BROKER_LOGGER resource (broker-logger.ts). */
  readonly logger: BrokerLoggerLevels;
}

export function describeConfigsHandler(deps: DescribeConfigsDeps): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponseInit> {
  return defineHandler<DescribeConfigsRequest, DescribeConfigsResponseInit>({
    apiKey: 32,
    name: 'DescribeConfigs',
    minVersion: 1,
    maxVersion: 4,
    decode: decodeDescribeConfigsRequest,
    encode: encodeDescribeConfigsResponse,
    handle(ctx, req) {
      const withSynonyms = ctx.apiVersion >= 1 && req.includeSynonyms;
      // In time slices (common/yield.ts): a request may name a million resources or keys.
      return sliceWork(function* (slice) {
        const results: ResultOut[] = [];
        for (const r of req.resources) {
          let keys: Set<string> | null = null;
          if (r.configurationKeys !== null) {
            keys = new Set();
            for (const k of r.configurationKeys) {
              keys.add(k);
              if (slice.tick()) yield;
            }
          }
          results.push(describeResource(deps, r, withSynonyms, keys));
          if (slice.tick()) yield;
        }
        return { throttleTimeMs: 0, results };
      });
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) };
    },
  });
}
