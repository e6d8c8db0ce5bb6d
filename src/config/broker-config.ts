/**
 * The broker's effective configuration: Kafka property names, read from a server.properties-style
 * map, validated (unknown or invalid settings stop start-up with a message naming them).
 */
import { brokerConfigByName } from './broker-config-defs.js';
import { ConfigError } from '../common/errors.js';
import { parseConfigValue, type ConfigValue } from './config-types.js';
import { topicConfigByName, topicConfigDefs } from './topic-config.js';
import { checkListenerSecurity, ignoredSettingWarnings, securityProtocolMap, unimplementedSettingMessage } from './unimplemented.js';

const LISTENER_PREFIX = 'listener.name.';
/** Settings Kafka lets a listener override with its prefix. */
/** Kafka's per-listener connection limits (ListenerConnectionQuota), also dynamic broker configs. */
export const LISTENER_CONNECTION_LIMITS: readonly string[] = ['max.connections', 'max.connection.creation.rate'];
const LISTENER_SCOPED = ['ssl.', 'sasl.', 'connection.failed.authentication.delay.ms', 'connections.max.reauth.ms'];
/** Kafka's SASL mechanism prefix inside a listener's: listener.name.<l>.<mechanism>.<setting>. */
const MECHANISM_SCOPED = /^(plain|scram-sha-256|scram-sha-512|oauthbearer|gssapi)\.((?:sasl\.|connections\.max\.reauth\.ms).*)$/;

export interface Listener {
  name: string;
  host: string;
  port: number;
}

/** Where a broker setting comes from, most specific first (Kafka's config sources). */
export type BrokerConfigLevel = 'dynamic-broker' | 'dynamic-default' | 'static' | 'default';

export class BrokerConfig {
  /** Values explicitly set (parsed), keyed by property name. */
  private readonly explicit: Map<string, ConfigValue>;
  /** Dynamic settings of this broker (AlterConfigs on BROKER <node id>). */
  private dynamicBroker = new Map<string, ConfigValue>();
  /** Dynamic cluster-wide defaults (AlterConfigs on BROKER ''). */
  private dynamicDefault = new Map<string, ConfigValue>();

  /** Listener-prefixed settings (listener.name.<listener>.<key>), by lower-case listener name. */
  private readonly perListener = new Map<string, Map<string, ConfigValue>>();
  /** Called after each setDynamic (certificate reload watches it). */
  private readonly dynamicWatchers = new Set<() => void>();
  private dynamicChanges = 0;
  private readonly reconfigurationChecks = new Set<(prospective: BrokerConfig) => void>();

  constructor(props: ReadonlyMap<string, string>) {
    this.explicit = new Map();
    const errors: string[] = [];
    for (const [key, raw] of props) {
      if (key.startsWith(LISTENER_PREFIX)) {
        const problem = this.setListenerSetting(key, raw);
        if (problem !== undefined) errors.push(problem);
        continue;
      }
      const def = brokerConfigByName.get(key);
      if (!def) {
        errors.push(unimplementedSettingMessage(key) ?? `Unknown configuration '${key}'`);
        continue;
      }
      try {
        const value = parseConfigValue(def, raw);
        const problem = def.validate?.(value);
        if (problem) throw new ConfigError(key, `Invalid value ${raw} for configuration ${key}: ${problem}`);
        this.explicit.set(key, value);
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    if (errors.length > 0) {
      const first = [...props.keys()].find((k) => errors.some((e) => e.includes(`'${k}'`) || e.includes(` ${k}:`))) ?? '';
      throw new ConfigError(first, errors.join('\n'));
    }
    // Validate listeners eagerly so a typo (or an unimplemented security protocol) is reported at start-up.
    const map = securityProtocolMap(this.explicit.has('listener.security.protocol.map') ? this.list('listener.security.protocol.map') : null);
    checkListenerSecurity(map, [
      { key: 'listeners', listeners: this.listeners() },
      { key: 'advertised.listeners', listeners: this.has('advertised.listeners') ? this.advertisedListeners() : [] },
    ]);
    // In a cluster the node id names this broker to the others: a default of 1 on every broker would collide.
    const etcd = this.explicit.get('etcd.endpoints');
    if (Array.isArray(etcd) && etcd.length > 0 && !this.explicit.has('node.id')) {
      throw new ConfigError('node.id', 'node.id must be set explicitly (and be unique in the cluster) when etcd.endpoints is set');
    }
  }

  /**
   * Kafka's listener prefix: `listener.name.<listener>.<key>` where key is a broker setting that
   * may be set per listener (ssl.*, sasl.enabled.mechanisms, ...) or `<mechanism>.sasl.jaas.config`.
   */
  private setListenerSetting(key: string, raw: string): string | undefined {
    const rest = key.slice(LISTENER_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot <= 0) return `Invalid configuration '${key}': expected listener.name.<listener>.<setting>`;
    const listener = rest.slice(0, dot).toLowerCase();
    const name = rest.slice(dot + 1);
    let value: ConfigValue;
    const mechanismScoped = MECHANISM_SCOPED.exec(name);
    if (/^[a-z0-9-]+\.sasl\.jaas\.config$/.test(name)) {
      value = raw.trim();
    } else if (mechanismScoped !== null) {
      // listener.name.<l>.<mechanism>.<sasl setting> (e.g. oauthbearer.sasl.server.callback.handler.class).
      const def = brokerConfigByName.get(mechanismScoped[2] as string);
      if (def === undefined) return `Unknown configuration '${key}'`;
      try {
        value = parseConfigValue(def, raw);
        const problem = def.validate?.(value);
        if (problem) return `Invalid value ${raw} for configuration ${key}: ${problem}`;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    } else {
      const def = brokerConfigByName.get(name);
      if (def === undefined || (!LISTENER_SCOPED.some((p) => name.startsWith(p)) && !LISTENER_CONNECTION_LIMITS.includes(name))) {
        return unimplementedSettingMessage(name) ?? `Unknown configuration '${key}' (${name} cannot be set per listener)`;
      }
      try {
        value = parseConfigValue(def, raw);
        const problem = def.validate?.(value);
        if (problem) return `Invalid value ${raw} for configuration ${key}: ${problem}`;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    }
    let m = this.perListener.get(listener);
    if (m === undefined) this.perListener.set(listener, (m = new Map()));
    m.set(name, value);
    return undefined;
  }

  /**
   * A setting as one listener sees it: its listener.name.<listener>. value (a dynamic one set on
   * this broker first, then the static one), else the broker's.
   */
  forListener(listenerName: string, key: string): ConfigValue {
    const prefixed = `${LISTENER_PREFIX}${listenerName.toLowerCase()}.${key}`;
    if (this.dynamicBroker.has(prefixed)) return this.dynamicBroker.get(prefixed) ?? null;
    const own = this.perListener.get(listenerName.toLowerCase());
    if (own?.has(key) === true) return own.get(key) ?? null;
    return this.get(key);
  }

  /**
   * A listener's own connection limit (`listener.name.<l>.max.connections` or
   * `.max.connection.creation.rate`): dynamic per broker, dynamic default, static; else unlimited
   * (Kafka's listener limits do not inherit the broker-wide value, which applies beside them).
   */
  listenerLimit(listenerName: string, key: string): number {
    // Kafka's prefix spells the listener name in lower case; the name as configured is accepted too.
    const names = [`${LISTENER_PREFIX}${listenerName.toLowerCase()}.${key}`, `${LISTENER_PREFIX}${listenerName}.${key}`];
    const dynamic = (m: Map<string, ConfigValue>): ConfigValue | undefined => m.get(names[0] as string) ?? m.get(names[1] as string);
    const v = dynamic(this.dynamicBroker) ?? dynamic(this.dynamicDefault) ?? this.perListener.get(listenerName.toLowerCase())?.get(key);
    return typeof v === 'number' ? v : 2147483647;
  }

  /**
   * A SASL setting as one mechanism of one listener sees it (Kafka's
   * listener.name.<listener>.<mechanism>.<key>), else forListener's value.
   */
  forMechanism(listenerName: string, mechanism: string, key: string): ConfigValue {
    const own = this.perListener.get(listenerName.toLowerCase());
    const scoped = `${mechanism.toLowerCase()}.${key}`;
    if (own?.has(scoped) === true) return own.get(scoped) ?? null;
    return this.forListener(listenerName, key);
  }

  /** True when the setting is given for this listener with its listener.name.<listener>. prefix. */
  setForListener(listenerName: string, key: string): boolean {
    if (this.dynamicBroker.has(`${LISTENER_PREFIX}${listenerName.toLowerCase()}.${key}`)) return true;
    return this.perListener.get(listenerName.toLowerCase())?.has(key) === true;
  }

  /**
   * Adds a check run on a prospective config before a dynamic change is committed (a listener
   * loading new key material); it throws ConfigError to refuse the change.
   */
  addReconfigurationCheck(fn: (prospective: BrokerConfig) => void): () => void {
    this.reconfigurationChecks.add(fn);
    return () => this.reconfigurationChecks.delete(fn);
  }

  /** Runs the reconfiguration checks on this config with `values` at `level`; throws their ConfigError. */
  checkReconfiguration(level: 'dynamic-broker' | 'dynamic-default', values: ReadonlyMap<string, ConfigValue>): void {
    if (this.reconfigurationChecks.size === 0) return;
    const prospective = this.withDynamic(level, values);
    for (const fn of this.reconfigurationChecks) fn(prospective);
  }

  /** Bumped by every setDynamic: caches of values derived from this config compare it. */
  get dynamicVersion(): number {
    return this.dynamicChanges;
  }

  /** Calls `fn` after every change of the dynamic settings; returns the unsubscribe. */
  onDynamicChange(fn: () => void): () => void {
    this.dynamicWatchers.add(fn);
    return () => this.dynamicWatchers.delete(fn);
  }

  /** This config as it would be with `values` as the dynamic settings of `level` (to validate a change before committing it). */
  withDynamic(level: 'dynamic-broker' | 'dynamic-default', values: ReadonlyMap<string, ConfigValue>): BrokerConfig {
    const copy = Object.create(BrokerConfig.prototype) as BrokerConfig;
    Object.assign(copy, this, { dynamicWatchers: new Set(), reconfigurationChecks: new Set() });
    copy.setDynamic(level, values);
    return copy;
  }

  /** The JAAS config of one mechanism on one listener (listener.name.<l>.<mechanism>.sasl.jaas.config), else null. */
  jaasConfig(listenerName: string, mechanism: string): string | null {
    const v = this.perListener.get(listenerName.toLowerCase())?.get(`${mechanism.toLowerCase()}.sasl.jaas.config`);
    return typeof v === 'string' ? v : null;
  }

  /** Warnings for settings given explicitly that Samsa accepts but ignores (logged at start-up). */
  ignoredSettingWarnings(): string[] {
    return ignoredSettingWarnings(this.explicit.keys());
  }

  /** Set at any level (dynamic or static). */
  has(key: string): boolean {
    return this.dynamicBroker.has(key) || this.dynamicDefault.has(key) || this.explicit.has(key);
  }

  /** Dynamic broker value, else dynamic default, else static (server.properties), else the definition's default. */
  get(key: string): ConfigValue {
    if (this.dynamicBroker.has(key)) return this.dynamicBroker.get(key) ?? null;
    if (this.dynamicDefault.has(key)) return this.dynamicDefault.get(key) ?? null;
    if (this.explicit.has(key)) return this.explicit.get(key) ?? null;
    return brokerConfigByName.get(key)?.defaultValue ?? null;
  }

  /** Which level supplies get(key). */
  level(key: string): BrokerConfigLevel {
    if (this.dynamicBroker.has(key)) return 'dynamic-broker';
    if (this.dynamicDefault.has(key)) return 'dynamic-default';
    if (this.explicit.has(key)) return 'static';
    return 'default';
  }

  /** The value set at one level (undefined when not set there). */
  valueAt(key: string, level: BrokerConfigLevel): ConfigValue | undefined {
    switch (level) {
      case 'dynamic-broker':
        return this.dynamicBroker.get(key);
      case 'dynamic-default':
        return this.dynamicDefault.get(key);
      case 'static':
        return this.explicit.get(key);
      default:
        return brokerConfigByName.get(key)?.defaultValue ?? undefined;
    }
  }

  /** Replaces the dynamic settings of one level (values already validated and parsed). */
  setDynamic(level: 'dynamic-broker' | 'dynamic-default', values: ReadonlyMap<string, ConfigValue>): void {
    if (level === 'dynamic-broker') this.dynamicBroker = new Map(values);
    else this.dynamicDefault = new Map(values);
    this.dynamicChanges++;
    for (const fn of this.dynamicWatchers) fn();
  }

  dynamicEntries(level: 'dynamic-broker' | 'dynamic-default'): IterableIterator<[string, ConfigValue]> {
    return (level === 'dynamic-broker' ? this.dynamicBroker : this.dynamicDefault).entries();
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number') throw new ConfigError(key, `Configuration ${key} has no numeric value`);
    return v;
  }

  bool(key: string): boolean {
    return this.get(key) === true;
  }

  str(key: string): string | null {
    const v = this.get(key);
    return v === null ? null : Array.isArray(v) ? v.join(',') : String(v);
  }

  list(key: string): string[] {
    const v = this.get(key);
    return Array.isArray(v) ? v : v === null ? [] : [String(v)];
  }

  explicitEntries(): IterableIterator<[string, ConfigValue]> {
    return this.explicit.entries();
  }

  get nodeId(): number {
    return this.has('node.id') ? this.int('node.id') : this.int('broker.id') >= 0 ? this.int('broker.id') : this.int('node.id');
  }

  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.str('log.dir') ?? '/tmp/kafka-logs'];
  }

  listeners(): Listener[] {
    return this.list('listeners').map((l) => parseListener('listeners', l));
  }

  advertisedListeners(): Listener[] {
    const adv = this.list('advertised.listeners');
    return adv.length > 0 ? adv.map((l) => parseListener('advertised.listeners', l)) : this.listeners();
  }

  /** log.retention.ms, else minutes, else hours (Kafka's precedence). */
  get retentionMs(): number {
    if (this.has('log.retention.ms')) return this.int('log.retention.ms');
    if (this.has('log.retention.minutes')) return this.int('log.retention.minutes') * 60_000;
    return this.int('log.retention.hours') * 3_600_000;
  }

  get rollMs(): number {
    if (this.has('log.roll.ms')) return this.int('log.roll.ms');
    return this.int('log.roll.hours') * 3_600_000;
  }

  get flushIntervalMs(): number {
    if (this.has('log.flush.interval.ms')) return this.int('log.flush.interval.ms');
    return this.int('log.flush.scheduler.interval.ms');
  }

  /** The broker-level default of a topic config (from its synonyms), and which synonym supplied it. */
  topicDefault(name: string): { value: ConfigValue; source: string | null } {
    const def = topicConfigByName.get(name);
    if (!def) return { value: null, source: null };
    const known = def.synonyms.filter((s) => brokerConfigByName.has(s));
    if (known.length === 0) return { value: def.defaultValue, source: null };
    // Kafka's synonyms, most specific first: the first one set wins, else the first with a default
    // (log.roll.jitter.ms has none, so segment.jitter.ms comes from log.roll.jitter.hours).
    const source = firstSet(this, known);
    const syn = source ?? known.find((s) => this.get(s) !== null);
    if (syn === undefined) return { value: def.defaultValue, source: null };
    return { value: inMillis(syn, this.get(syn)), source };
  }

  /** Effective defaults for every topic config, as set on this broker. */
  topicDefaults(): Map<string, ConfigValue> {
    const out = new Map<string, ConfigValue>();
    for (const def of topicConfigDefs) out.set(def.name, this.topicDefault(def.name).value);
    return out;
  }
}

/** A broker synonym's value in the topic config's unit (`.hours` and `.minutes` synonyms are converted to ms). */
function inMillis(synonym: string, v: ConfigValue): ConfigValue {
  if (typeof v !== 'number') return v;
  if (synonym.endsWith('.hours')) return v * 3_600_000;
  if (synonym.endsWith('.minutes')) return v * 60_000;
  return v;
}

function firstSet(cfg: BrokerConfig, keys: string[]): string | null {
  return keys.find((k) => cfg.has(k)) ?? null;
}

export function parseListener(key: string, text: string): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(key, `Invalid value ${text} for configuration ${key}: expected NAME://host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(key, `Invalid port ${port} in ${key}`);
  let host = m[2] ?? '';
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { name: m[1] ?? 'PLAINTEXT', host, port };
}
