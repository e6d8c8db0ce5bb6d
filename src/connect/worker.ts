/**
 * A Connect worker: standalone (configs in memory, offsets in `offset.storage.file.filename`)
 * or distributed (configs, offsets and statuses in `config.storage.topic`,
 * `offset.storage.topic`, `status.storage.topic`; membership in the group `group.id` with
 * protocol type "connect"), with the REST API on `listeners` host:port.
 *
 * Kafka's rules kept (DistributedHerder, IncrementalCooperativeAssignor): the group leader
 * assigns connectors and tasks (assignor.ts: owners keep theirs, new and orphaned units go to the
 * least loaded, revoked units are handed over in a follow-up rebalance) and tells every member
 * the leader's URL and the config-topic offset the assignment was computed at; a member reads the
 * config topic up to that offset before starting its share; a member that lost its membership
 * stops everything; the leader rejoins after it wrote new task configs so they get assigned.
 * With `exactly.once.source.support=enabled` source tasks write transactionally (exactly-once.ts).
 * Samsa's deviations: the metadata and assignment are JSON ({"url","configOffset","connectors",
 * "tasks"} and {"leader","leaderUrl","configOffset","connectors","tasks","revoked"}), not
 * Connect's binary schemas, so Java workers cannot join the same group.
 */
import { ClusterClient } from '../client/cluster-client.js';
import { GroupMember } from '../client/group-member.js';
import { assignCooperative, PROTOCOL, type AssignmentMessage } from './assignor.js';
import { ExactlyOnceSourceSupport, workerExactlyOnce } from './exactly-once.js';
import { Herder } from './herder.js';
import { loadPlugins } from './plugin-loader.js';
import { PluginRegistry } from './plugins.js';
import { ConnectRestServer } from './rest-server.js';
import { FileOffsetStore, KafkaConfigStore, KafkaOffsetStore, KafkaStatusStore, MemoryConfigStore, MemoryStatusStore } from './stores.js';
import { traceOf } from './task-status.js';

export interface ConnectWorkerOptions {
  mode: 'standalone' | 'distributed';
  bootstrap: string[];
  /** Worker properties (group.id, *.storage.topic, converters, offset.flush.interval.ms, ...). */
  workerConfig?: Record<string, string>;
  host?: string;
  /** REST port; 0 for any free port. Default 8083. */
  port?: number;
  plugins?: PluginRegistry;
  maxConnectors?: number;
  maxRequestBytes?: number;
  log?: (msg: string) => void;
}

export class ConnectWorker {
  private member: GroupMember | null = null;
  private stores: { stop(): Promise<void> }[] = [];

  private constructor(
    readonly herder: Herder,
    readonly rest: ConnectRestServer,
    private readonly cluster: ClusterClient,
  ) {}

  get url(): string {
    return this.rest.url;
  }

  static async start(o: ConnectWorkerOptions): Promise<ConnectWorker> {
    const wc = { ...(o.workerConfig ?? {}) };
    const log = o.log ?? ((m: string) => process.stderr.write(`[connect] ${m}\n`));
    const cluster = new ClusterClient({ bootstrap: o.bootstrap, clientId: wc['client.id'] ?? 'connect-worker' });
    let herder: Herder | null = null;
    const rest = await ConnectRestServer.start(() => {
      if (herder === null) throw new Error('worker starting');
      return herder;
    }, { host: o.host ?? '127.0.0.1', port: o.port ?? 8083, maxRequestBytes: o.maxRequestBytes ?? 1024 * 1024, clusterId: () => cluster.metadata().then((m) => m.clusterId, () => null), log });
    const workerId = rest.url.replace(/^http:\/\//, '');
    const plugins = o.plugins ?? new PluginRegistry();
    if (wc['plugin.path'] !== undefined || wc['plugin.packages'] !== undefined) {
      const report = await loadPlugins(plugins, wc['plugin.path'], wc['plugin.packages']);
      if (report.loaded.length > 0) log(`loaded plug-ins: ${report.loaded.join(', ')}`);
      for (const f of report.failed) log(`plug-in ${f.source} not loaded: ${f.error}`);
    }
    const base = { workerId, cluster, workerConfig: wc, plugins, maxConnectors: o.maxConnectors ?? 1000, log, newClient: (clientId: string) => new ClusterClient({ bootstrap: o.bootstrap, clientId }) };
    try {
      if (o.mode === 'standalone') {
        if (workerExactlyOnce(wc) !== ExactlyOnceSourceSupport.DISABLED) log('exactly.once.source.support applies to distributed workers only: ignored in standalone mode');
        herder = new Herder({ ...base, configs: new MemoryConfigStore(), statuses: new MemoryStatusStore(), offsets: new FileOffsetStore(wc['offset.storage.file.filename'] ?? null) });
        return new ConnectWorker(herder, rest, cluster);
      }
      const rf = (k: string): number => Number(wc[k] ?? '3');
      const onError = (e: unknown): void => log(`internal topic: ${traceOf(e)}`);
      const eos = workerExactlyOnce(wc);
      const offsets = new KafkaOffsetStore(cluster, wc['offset.storage.topic'] ?? 'connect-offsets', rf('offset.storage.replication.factor'), onError, eos === ExactlyOnceSourceSupport.DISABLED ? 0 : 1);
      const statuses = new KafkaStatusStore(cluster, wc['status.storage.topic'] ?? 'connect-status', rf('status.storage.replication.factor'), onError);
      const configs = new KafkaConfigStore(cluster, wc['config.storage.topic'] ?? 'connect-configs', rf('config.storage.replication.factor'), onError);
      await offsets.log.start();
      await statuses.log.start();
      await configs.log.start();
      const exactlyOnce = eos === ExactlyOnceSourceSupport.ENABLED ? { groupId: wc['group.id'] ?? 'connect-cluster', offsets } : null;
      const h = new Herder({ ...base, configs, statuses, offsets, exactlyOnce });
      herder = h;
      h.leader = false;
      h.rebalancing = true;
      const worker = new ConnectWorker(h, rest, cluster);
      worker.stores = [configs.log, statuses.log, offsets.log];
      const member = new GroupMember(cluster, {
        groupId: wc['group.id'] ?? 'connect-cluster',
        protocolType: 'connect',
        protocols: () => [{ name: PROTOCOL, metadata: Buffer.from(JSON.stringify({ url: rest.url, configOffset: String(configs.log.position(0)), connectors: h.assignment?.connectors ?? [], tasks: h.assignment?.tasks ?? [] })) }],
        sessionTimeoutMs: Number(wc['session.timeout.ms'] ?? '10000'),
        heartbeatIntervalMs: Number(wc['heartbeat.interval.ms'] ?? '3000'),
        rebalanceTimeoutMs: Number(wc['rebalance.timeout.ms'] ?? '60000'),
        assign: async (self, _protocol, members) => {
          await configs.log.readToEnd();
          return assignCooperative(self, rest.url, String(configs.log.position(0)), members, configs.connectors);
        },
        // Cooperative: tasks keep running through a rebalance; the new assignment stops what moved.
        onRevoke: async () => {
          h.rebalancing = true;
        },
        onLost: async () => {
          h.rebalancing = true;
          h.assignment = { connectors: [], tasks: [] };
          await h.stopAll(false);
        },
        onAssigned: async (bytes, info) => {
          const a = JSON.parse(bytes.toString('utf8')) as AssignmentMessage;
          await configs.log.waitFor(() => BigInt(a.configOffset));
          h.assignment = { connectors: a.connectors, tasks: a.tasks };
          h.leader = a.leader === info.memberId;
          h.leaderUrl = a.leaderUrl;
          h.generation = info.generation;
          h.rebalancing = false;
          log(`joined group generation ${info.generation} as ${h.leader ? 'leader' : 'member'}: ${a.connectors.length} connectors, ${a.tasks.length} tasks${a.revoked > 0 ? `, ${a.revoked} revoked` : ''}`);
          // Stop what was revoked (reconcile stops tasks no longer assigned), then rejoin so it is handed over.
          void h.schedule(() => h.reconcile()).then(() => {
            if (a.revoked > 0) member.requestRejoin();
          });
        },
        onError: (e) => log(`group: ${traceOf(e)}`),
      });
      h.onTasksChanged = () => member.requestRejoin();
      worker.member = member;
      member.start();
      return worker;
    } catch (e) {
      await rest.close();
      cluster.close();
      throw e;
    }
  }

  /** Stops tasks (offsets committed), leaves the group, stops the REST server. */
  async close(): Promise<void> {
    if (this.member) await this.member.close();
    await this.herder.close();
    for (const s of this.stores) await s.stop();
    await this.rest.close();
    this.cluster.close();
  }
}
