/**
 * The connector plug-ins a worker knows: the bundled ones, answering to Kafka's class names and
 * short aliases (as Kafka's plugin aliases: the simple class name, and without "Connector"), and
 * any registered by the embedding program (`registerPlugin`).
 */
import { ConfigError, type ConnectorPlugin } from './api.js';
import { fileStreamSink, fileStreamSource } from './file-stream.js';
import { MIRROR_PLUGINS } from './mirror/plugins.js';
import { postgresSink } from './postgres-sink.js';

// This slice's connectors, and the transforms, predicates and converters that plug-ins bring
// (loaded from plugin.path / plugin.packages by plugin-loader.ts).
import type { ConnectRecord } from './api.js';
import type { Converter } from './converters.js';
import { httpSink } from './http-sink.js';
import { postgresSource } from './postgres-source.js';

/** Settings of a transform, predicate or converter (without its `transforms.<name>.` style prefix). */
export type PluginSettings = (key: string) => string | undefined;

/** A single message transform from a plug-in (Kafka's PluginType "transformation"). */
export interface TransformPlugin {
  type: 'transformation';
  className: string;
  aliases?: string[];
  create(settings: PluginSettings): (r: ConnectRecord) => ConnectRecord | null;
}

export interface PredicatePlugin {
  type: 'predicate';
  className: string;
  aliases?: string[];
  create(settings: PluginSettings): (r: ConnectRecord) => boolean;
}

export interface ConverterPlugin {
  type: 'converter';
  className: string;
  aliases?: string[];
  create(settings: PluginSettings, isKey: boolean): Converter;
}

type Named = { className: string; aliases?: string[] };
const byName = <T extends Named>(list: readonly T[], name: string): T | undefined => list.find((p) => p.className === name.trim() || (p.aliases ?? []).includes(name.trim()));

export class PluginRegistry {
  private readonly plugins: ConnectorPlugin[] = [fileStreamSource, fileStreamSink, postgresSink, ...MIRROR_PLUGINS];

  register(p: ConnectorPlugin): void {
    this.plugins.push(p);
  }

  all(): readonly ConnectorPlugin[] {
    return this.plugins;
  }

  find(name: string): ConnectorPlugin | undefined {
    const n = name.trim();
    return this.plugins.find((p) => p.className === n || p.aliases.includes(n));
  }

  /** The plug-in of a connector config's `connector.class`, or a ConfigError. */
  forConfig(config: Readonly<Record<string, string>>): ConnectorPlugin {
    const cls = config['connector.class'];
    if (!cls) throw new ConfigError('Missing required configuration "connector.class" which has no default value.');
    const p = this.find(cls);
    if (!p) throw new ConfigError(`Failed to find any class that implements Connector and which name matches ${cls}, available connectors are: ${this.plugins.map((x) => x.className).join(', ')}`);
    return p;
  }

  // Plug-ins (plugin-loader.ts) and this slice's bundled connectors.
  readonly transforms: TransformPlugin[] = [];
  readonly predicates: PredicatePlugin[] = [];
  readonly converters: ConverterPlugin[] = [];

  constructor() {
    this.plugins.push(postgresSource, httpSink);
  }

  transform(cls: string): TransformPlugin | undefined {
    return byName(this.transforms, cls);
  }

  predicate(cls: string): PredicatePlugin | undefined {
    return byName(this.predicates, cls);
  }

  converter(cls: string): ConverterPlugin | undefined {
    return byName(this.converters, cls);
  }
}
