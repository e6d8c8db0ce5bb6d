/**
 * MirrorMaker 2's dedicated mode (Kafka's connect-mirror-maker.sh, MirrorMaker and
 * MirrorMakerConfig): one properties file names the clusters and the flows between them, and
 * for every enabled flow `A->B` a worker on B runs MirrorSource, MirrorCheckpoint and
 * MirrorHeartbeat from A to B.
 *
 * Kafka's rules kept: `clusters = A, B`; `A.bootstrap.servers`; a flow runs only with
 * `A->B.enabled = true`; a connector setting applies to every flow when written bare
 * (`topics = .*`, `replication.factor = 1`, `sync.group.offsets.enabled = true`) and to one flow
 * under its prefix (`A->B.topics = orders.*`), the flow's winning; `tasks.max` (default 1); keys
 * and values copied as bytes (ByteArrayConverter); the source offsets of a flow are kept on the
 * target in `mm2-offsets.<source>.internal` (replication `offset.storage.replication.factor`,
 * default 3, at most the broker count), so a restarted MirrorMaker resumes where it stopped;
 * `--clusters B` runs only the flows into B. Samsa's deviations: several MirrorMaker processes do
 * not share the work of a flow (each runs all of its tasks: run one per flow), no per-cluster
 * client settings other than bootstrap.servers, and no internal REST server.
 */
import { ClusterClient } from '../../client/cluster-client.js';
import { ConfigError } from '../api.js';
import { CONVERTER_CLASSES } from '../converters.js';
import { Herder } from '../herder.js';
import { PluginRegistry } from '../plugins.js';
import { KafkaOffsetStore, MemoryConfigStore, MemoryStatusStore } from '../stores.js';
import { traceOf } from '../task-status.js';
import { mirrorCheckpointConnector } from './checkpoint-connector.js';
import { mirrorHeartbeatConnector } from './heartbeat-connector.js';
import { mirrorSourceConnector } from './source-connector.js';

export interface MirrorFlow {
  source: string;
  target: string;
  /** The settings of the flow's connectors (without connector.class). */
  config: Record<string, string>;
}

const FLOW_KEY = /^([^.\s]+)->([^.\s]+)\.(.+)$/;
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

/** The enabled flows of a MirrorMaker properties file (clusters, aliases, flow-scoped keys). */
export function mirrorFlows(props: Readonly<Record<string, string>>): MirrorFlow[] {
  const clusters = list(props['clusters']);
  if (clusters.length === 0) throw new ConfigError('Missing required configuration "clusters" which has no default value.');
  const bootstrap = new Map<string, string>();
  for (const c of clusters) {
    const b = props[`${c}.bootstrap.servers`];
    if (b === undefined || list(b).length === 0) throw new ConfigError(`Missing required configuration "${c}.bootstrap.servers" which has no default value.`);
    bootstrap.set(c, list(b).join(','));
  }
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === 'clusters' || FLOW_KEY.test(k) || clusters.some((c) => k.startsWith(`${c}.`))) continue;
    common[k] = v;
  }
  const flows: MirrorFlow[] = [];
  for (const source of clusters) {
    for (const target of clusters) {
      if (source === target || (props[`${source}->${target}.enabled`] ?? 'false').trim().toLowerCase() !== 'true') continue;
      const scoped: Record<string, string> = {};
      for (const [k, v] of Object.entries(props)) {
        const m = FLOW_KEY.exec(k);
        if (m && m[1] === source && m[2] === target && m[3] !== 'enabled') scoped[m[3] ?? ''] = v;
      }
      flows.push({
        source,
        target,
        config: {
          'tasks.max': '1',
          ...common,
          ...scoped,
          'source.cluster.alias': source,
          'target.cluster.alias': target,
          'source.cluster.bootstrap.servers': bootstrap.get(source) ?? '',
          'target.cluster.bootstrap.servers': bootstrap.get(target) ?? '',
          'key.converter': CONVERTER_CLASSES.bytes,
          'value.converter': CONVERTER_CLASSES.bytes,
        },
      });
    }
  }
  return flows;
}

interface RunningFlow {
  flow: MirrorFlow;
  herder: Herder;
  offsets: KafkaOffsetStore;
  cluster: ClusterClient;
}

export interface MirrorMakerOptions {
  /** Run only the flows into these clusters (`--clusters`). */
  clusters?: readonly string[];
  log?: (msg: string) => void;
}

export class MirrorMaker {
  private constructor(private readonly running: RunningFlow[]) {}

  get flows(): readonly MirrorFlow[] {
    return this.running.map((r) => r.flow);
  }

  /** Starts the enabled flows of a MirrorMaker properties file. */
  static async start(props: Readonly<Record<string, string>>, o: MirrorMakerOptions = {}): Promise<MirrorMaker> {
    const log = o.log ?? ((m: string) => process.stderr.write(`[mirror-maker] ${m}\n`));
    const flows = mirrorFlows(props).filter((f) => o.clusters === undefined || o.clusters.includes(f.target));
    if (flows.length === 0) throw new ConfigError('No enabled flows: set A->B.enabled = true for a pair of the clusters');
    const running: RunningFlow[] = [];
    const mm = new MirrorMaker(running);
    try {
      for (const flow of flows) {
        const name = `${flow.source}->${flow.target}`;
        const cluster = new ClusterClient({ bootstrap: list(flow.config['target.cluster.bootstrap.servers']), clientId: `mm2-${name}` });
        const offsets = new KafkaOffsetStore(cluster, `mm2-offsets.${flow.source}.internal`, Number(flow.config['offset.storage.replication.factor'] ?? '3'), (e) => log(`${name} offsets: ${traceOf(e)}`));
        try {
          await offsets.log.start();
        } catch (e) {
          cluster.close();
          throw e;
        }
        const configs = new MemoryConfigStore();
        const herder = new Herder({ workerId: `mm2-${name}`, cluster, workerConfig: flow.config, plugins: new PluginRegistry(), configs, statuses: new MemoryStatusStore(), offsets, maxConnectors: 3, log: (m) => log(`${name}: ${m}`) });
        running.push({ flow, herder, offsets, cluster });
        for (const plugin of [mirrorSourceConnector, mirrorCheckpointConnector, mirrorHeartbeatConnector]) {
          await configs.putConnectorConfig(plugin.aliases[0] ?? plugin.className, { ...flow.config, name: plugin.aliases[0] ?? plugin.className, 'connector.class': plugin.className });
        }
        log(`${name}: replicating`);
      }
    } catch (e) {
      await mm.close();
      throw e;
    }
    return mm;
  }

  /** The state of each task of each flow (RUNNING, FAILED with its trace, ...). */
  status(): { flow: string; connector: string; task: number; state: string; trace: string | null }[] {
    return this.running.flatMap((r) =>
      [...r.herder.o.configs.connectors].flatMap(([connector, s]) =>
        s.tasks.map((_, task) => {
          const st = r.herder.o.statuses.task(connector, task);
          return { flow: `${r.flow.source}->${r.flow.target}`, connector, task, state: st?.state ?? 'UNASSIGNED', trace: st?.trace ?? null };
        }),
      ),
    );
  }

  /** Stops every task (their source offsets committed) and closes the clients. */
  async close(): Promise<void> {
    for (const r of this.running.splice(0)) {
      await r.herder.close();
      await r.offsets.log.stop();
      r.cluster.close();
    }
  }
}
