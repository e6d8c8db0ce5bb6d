/**
 * The connector plug-ins a worker knows: the bundled ones, answering to Kafka's class names and
 * short aliases (as Kafka's plugin aliases: the simple class name, and without "Connector"), and
 * any registered by the embedding program (`registerPlugin`).
 */
import { ConfigError, type ConnectorPlugin } from './api.js';
import { fileStreamSink, fileStreamSource } from './file-stream.js';
import { postgresSink } from './postgres-sink.js';
import { postgresSource } from './postgres-source.js';

export class PluginRegistry {
  private readonly plugins: ConnectorPlugin[] = [fileStreamSource, fileStreamSink, postgresSink, postgresSource];

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
}
