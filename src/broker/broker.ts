/**
 * A Samsa broker: owns the log manager, metadata, partitions and listeners, and wires requests
 * to handlers. Single node: it is the controller and the leader of every partition.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../common/errors.js';
import { systemClock, type Clock } from '../common/clock.js';
import { realScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { log as processLog, type Logger } from '../common/logger.js';
import { LocalMetadataStore } from '../cluster/metadata-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { RequestBudget, DEFAULT_MAX_UNSENT_RESPONSE_BYTES } from '../network/request-budget.js';
import type { KafkaServer } from '../network/server.js';
import { protocolOf } from '../config/listener-security.js';
import type { RestProxy } from '../rest/server.js';
import { interBrokerSecurity, type InterBrokerSecurity } from '../config/inter-broker-security.js';
import { BrokerBufferPools } from '../common/buffer-pool.js';
import type { DirLock } from '../storage/dir-lock.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import type { LogManager } from '../storage/log-manager.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { newSegmentResourceCache, type SegmentResourceCache } from '../storage/segment-cache.js';
import { ProducerStateMaintenance } from '../txn/producer-maintenance.js';
import { FetchSessionCache } from './fetch-session.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import { ConversionStats } from './conversion-stats.js';
import { FollowerReadStats } from './preferred-read-replica.js';
import { ReplicaManager } from './replica-manager.js';
import type { GateOptions } from './gate/gate.js';
import { newZeroCopyStats } from '../network/zero-copy-send.js';
import type { ShareServices } from './share/share-services.js';
import type { RequestRouter } from './router.js';
import { buildRequestRouter } from './broker-router.js';
import { MetadataApplier } from './metadata-applier.js';
import { TopicController } from './topic-controller.js';
import { upgradeFloor } from './producer-id-blocks.js';
import type { ClusterNode } from './cluster-node.js';
import { controlledShutdown, openClusterNode } from './cluster-membership.js';
import type { IsrUpdater } from './isr-updater.js';
import { startClusterReplication, type ClusterReplication } from './cluster-replication.js';
import { PartitionRoles } from './partition-roles.js';
import type { ReplicaFetcherManager } from '../replication/fetcher-manager.js';
import { txnStateName } from '../txn/txn-metadata.js';
import type { TxnMarkerRouting } from './txn-marker-routing.js';
import { sharedCoordinatorDeps, startGroupCoordinator, startTxnCoordinator, txnMarkerRouting, type CoordinatorHost } from './coordinator-links.js';
import type { BrokerImage } from '../metadata/image.js';
import { eachUsableDir, takePartitionsOffline, withOfflineDirs } from './offline-log-dirs.js';
import { BrokerTopicStats } from '../metrics/topic-stats.js';
import { ReplicationStats } from '../replication/replication-stats.js';
import type { BrokerObservability, ObservabilitySources } from './observability.js';
import { applyLogConfig } from './log-levels-config.js';
import { startBrokerConsole } from './console-listener.js';
import type { RunningConsole } from '../console/server.js';
import { StartupGate } from './startup-gate.js';
import { openLogManager, prepareLogDirs, writeMetaProperties } from './log-dir-startup.js';
import { bindListeners, scramCredentialsOf, type BoundListener } from './listener-binding.js';
import { BrokerSchemaIds, checkOwnClientConfig, startEmbeddedRegistry } from './embedded-registry.js';
import type { RunningRegistry } from '../registry/registry.js';

/** Opens the metadata store kept in `dir` (a new one gets the cluster id `newClusterId()`). */
export type OpenMetadataStore = (dir: string, newClusterId: () => string, logger: Logger) => MetadataStore;

export type { BoundListener } from './listener-binding.js';

export class Broker {
  readonly nodeId: number;
  /** The broker's time (its scheduler's clock). */
  readonly clock: Clock;
  /** Every timer of this broker (storage, long polls, coordinators, idle sweeps); a ManualScheduler in tests. */
  readonly scheduler: Scheduler;
  /**
   * This broker's logger, its lines tagged `[broker <node.id>]` (components add a tag of their
   * own); passed down like the scheduler. From `opts.logger`, else the process logger.
   */
  readonly logger: Logger;
  readonly replicas = new ReplicaManager();
  /** Kafka's BrokerTopicMetrics counters (messages/bytes in and out per topic), see metrics/topic-stats.ts. */
  readonly topicStats = new BrokerTopicStats();
  /** This broker's replication counters (fetchers, follower fetches served, high-watermark moves), see replication/replication-stats.ts. */
  readonly replicationStats = new ReplicationStats();
  /** The metrics registry and listener (metrics.listeners), null when not configured. */
  observability: BrokerObservability | null = null;
  /** The REST proxy of rest.proxy.listeners (src/rest/), null when not configured. */
  restProxy: RestProxy | null = null;
  /** The web console (console.listeners), null when not configured. */
  console: RunningConsole | null = null;
  /** Start-up has finished and stop() has not begun (/health/ready). */
  private started = false;
  /** The schema registry of schema.registry.listeners (started in the background once the broker is up), else null. */
  schemaRegistry: Promise<RunningRegistry> | null = null;
  /** Registered schema ids for topics with samsa.key/value.schema.validation (started on first use). */
  private schemaIds: BrokerSchemaIds | null = null;
  /** Aborts a registry start still waiting for _schemas when the broker stops. */
  private readonly registryStart = new AbortController();
  /** Message-format conversions (old-format produce), see conversion-stats.ts. */
  readonly conversions = new ConversionStats();
  /** Fetch from follower (KIP-392): redirections as leader, consumer reads served as follower. */
  readonly followerReads = new FollowerReadStats();
  readonly fetchSessions: FetchSessionCache;
  /** queued.max.request.bytes / queued.max.requests and unsent responses, shared by all listeners. */
  readonly requestBudget: RequestBudget;
  /** This broker's reusable buffers (request frames, log reads), trimmed on its scheduler. */
  readonly pools = new BrokerBufferPools();
  /** This broker's bound on open segment files (log.open.files.max). */
  readonly segmentCache: SegmentResourceCache;
  /** Zero-copy Fetch sends of this broker's connections (network/zero-copy-send.ts). */
  readonly zeroCopyStats = newZeroCopyStats();
  private poolTrimming: TimerHandle | null = null;
  /** Connection ids, unique across this broker's listeners. */
  private lastConnectionId = 0;
  logs!: LogManager;
  /** The cluster metadata: read image(), change through the controller (topics). */
  metadata!: MetadataStore;
  /** The controller side of topics and configs (validate, commit a delta). */
  topics!: TopicController;
  /** Follows the metadata images: opens and removes logs, applies configs. */
  applier!: MetadataApplier;
  listeners: BoundListener[] = [];
  /** Built once the services exist (end of start()); requests before that wait in the StartupGate. */
  router!: RequestRouter;
  groups!: GroupCoordinator;
  /** Transactions and producer ids (started before the listeners open). */
  txnCoordinator!: TransactionCoordinator;
  /** KIP-932 share groups and share-partitions (broker/share/, group/share/). */
  shares!: ShareServices;
  private producerMaintenance: ProducerStateMaintenance | null = null;
  /** With etcd.endpoints: this broker's membership of the cluster (store, registration, controller candidacy). */
  cluster: ClusterNode | null = null;
  /** Leader/follower roles of the partitions hosted here. */
  roles!: PartitionRoles;
  private fetchers: ReplicaFetcherManager | null = null;
  /** How this broker reaches the others (its inter-broker listener and client security); set by start(). */
  private interBroker: InterBrokerSecurity | null = null;
  private markerRouting: TxnMarkerRouting | null = null;
  private isrUpdater: IsrUpdater | null = null;
  /** Replication throttling (cluster only). */
  private throttles: ClusterReplication['throttles'] | null = null;
  private servers: KafkaServer[] = [];
  private stopped = false;
  private dirLocks: DirLock[] = [];
  private readonly haltListeners: (() => void)[] = [];

  /** The request gate's authenticator, authorizer and quotas (default: anonymous, allow-all, unlimited). */
  private readonly gateOptions: GateOptions;
  private readonly openMetadata: OpenMetadataStore;

  constructor(readonly config: BrokerConfig, opts: { clock?: Clock; scheduler?: Scheduler; gate?: GateOptions; logger?: Logger; openMetadata?: OpenMetadataStore } = {}) {
    this.gateOptions = opts.gate ?? {};
    this.openMetadata = opts.openMetadata ?? ((dir, newClusterId, logger) => LocalMetadataStore.open(dir, newClusterId, logger));
    this.nodeId = config.nodeId;
    this.logger = (opts.logger ?? processLog).child(`broker ${this.nodeId}`);
    applyLogConfig(this.logger, config);
    this.scheduler = opts.scheduler ?? realScheduler(opts.clock ?? systemClock);
    this.clock = this.scheduler;
    this.segmentCache = newSegmentResourceCache(config.int('log.open.files.max'));
    this.fetchSessions = new FetchSessionCache(config.int('max.incremental.fetch.session.cache.slots'), this.clock);
    this.requestBudget = new RequestBudget({
      maxRequestBytes: config.int('queued.max.request.bytes'),
      maxRequests: config.int('queued.max.requests'),
      maxUnsentResponseBytes: DEFAULT_MAX_UNSENT_RESPONSE_BYTES,
    });
  }

  get clusterId(): string {
    return this.metadata.image().clusterId;
  }

  async start(): Promise<void> {
    const started = performance.now();
    for (const w of this.config.ignoredSettingWarnings()) this.logger.warn(w);
    const dirs = this.config.logDirs;
    const failedDirs = prepareLogDirs(dirs, this.dirLocks, this.logger);
    const gate = new StartupGate();
    this.interBroker = interBrokerSecurity(this.config);
    checkOwnClientConfig(this.config);
    await bindListeners(this.config, gate, {
      servers: this.servers,
      listeners: this.listeners,
      budget: this.requestBudget,
      framePool: this.pools.requestFrames,
      scram: scramCredentialsOf(() => this.metadata as MetadataStore | undefined),
      image: () => (this.metadata as MetadataStore | undefined)?.image(),
      nextConnectionId: () => ++this.lastConnectionId,
      zeroCopyStats: this.zeroCopyStats,
      clock: this.clock,
      scheduler: this.scheduler,
      logger: this.logger,
    });
    // Before the logs load: /health/live answers (and /health/ready says why not) during recovery.
    // prom-client and the metrics modules load only with metrics.listeners (start-up time).
    if (this.config.list('metrics.listeners').length > 0) {
      const { BrokerObservability } = await import('./observability.js');
      this.observability = await BrokerObservability.start(this.config, this.observabilitySources(), this.logger.child('metrics'));
    }
    const newClusterId = (): string => this.config.str('cluster.id') ?? randomUuid();
    const endpoints = this.config.list('etcd.endpoints');
    if (endpoints.length > 0) {
      this.cluster = await openClusterNode(this.config, endpoints, { nodeId: this.nodeId, newClusterId, scheduler: this.scheduler, logger: this.logger.child('cluster') });
      this.metadata = this.cluster.store;
    } else {
      this.metadata = this.openMetadata(dirs[0] as string, newClusterId, this.logger.child('metadata'));
    }
    eachUsableDir(dirs, failedDirs, (d) => writeMetaProperties(d, this.nodeId, this.clusterId));
    this.logs = openLogManager(this.config, { dirs, failedDirs, scheduler: this.scheduler, cache: this.segmentCache, readPool: this.pools.logReads, logger: this.logger, onFlush: (ms) => this.observability?.logFlushed(ms) });
    if (this.cluster === null) await this.registerSelf();
    this.applier = new MetadataApplier(this.config, this.metadata, this.logs, this.replicas, this.nodeId, this.logger);
    this.roles = new PartitionRoles({ localId: this.nodeId, replicas: this.replicas, fetchers: this.startReplication(), clock: this.clock, stats: this.replicationStats });
    this.applier.useRoles(this.roles, this.cluster !== null);
    this.logs.dirFailures.onFailure((dir) => this.logDirFailed(dir));
    const updater = this.isrUpdater;
    if (updater !== null) {
      this.roles.onRoleChange({
        becameLeader: (p) => (p.isrCandidateListener = updater.onCandidate),
        becameFollower: (p) => (p.isrCandidateListener = null),
      });
    }
    this.topics = new TopicController(this.config, this.metadata, this.applier, this.nodeId, this.logger);
    const image = this.metadata.image();
    this.logs.loadAll(
      (topic) => this.applier.logConfigFor(image.topic(topic)?.configs ?? {}),
      (topic, partition) => {
        const t = image.topic(topic);
        return t !== undefined && partition < t.partitions.length ? t.topicId : null;
      },
    );
    this.applier.loadPartitions();
    // A dir that failed before start-up: the registration names the replicas found offline on load.
    if (this.cluster === null && this.logs.dirFailures.offlineDirs.length > 0) await this.registerSelf();
    if (this.cluster !== null) {
      // Logs loaded and roles applied (followers of the current leaders): now join (cluster-node.ts).
      await this.cluster.register(this.selfImage());
      this.cluster.startCampaign();
    }
    // The coordinators get narrow dependencies (coordinator/deps.ts), never the Broker (coordinator-links.ts).
    const host: CoordinatorHost = { config: this.config, nodeId: this.nodeId, replicas: this.replicas, topics: this.topics, metadata: this.metadata, roles: this.roles, scheduler: this.scheduler, logger: this.logger, interBroker: this.interBroker ?? interBrokerSecurity(this.config) };
    const deps = sharedCoordinatorDeps(host);
    startGroupCoordinator(host, deps, this);
    this.logs.startBackgroundTasks();
    this.producerMaintenance = new ProducerStateMaintenance(() => [...this.replicas.all()].filter((p) => !p.offline), () => this.config.int('producer.id.expiration.ms'), this.scheduler, this.logger);
    this.producerMaintenance.start();
    const idFloor = upgradeFloor(dirs[0] as string, this.replicas.all());
    this.markerRouting = this.cluster === null ? null : txnMarkerRouting(this.config, { localId: this.nodeId, metadata: this.metadata, replicas: this.replicas, interBroker: host.interBroker, scheduler: this.scheduler, logger: this.logger });
    startTxnCoordinator(host, deps, this, idFloor, this.markerRouting);
    // The first producer-id block, before the listeners open (after the transaction log is loaded: its ids are never reissued).
    await this.txnCoordinator.producerIds.start();
    this.poolTrimming = this.pools.startTrimming(this.scheduler);
    this.router = this.buildRouter();
    gate.open(this.router);
    this.started = true;
    if (this.config.list('rest.proxy.listeners').length > 0) {
      // Loaded only when configured: a broker without a proxy never loads fastify and the codecs.
      const { startConfiguredRestProxy } = await import('../rest/embedded.js');
      // Without schema.registry.url: this broker's own registry, when it serves one (started below).
      const ownRegistry = this.config.list('schema.registry.listeners').length > 0 ? () => this.schemaRegistry?.then((r) => r.url) ?? Promise.reject(new Error('the schema registry is not running')) : null;
      this.restProxy = await startConfiguredRestProxy(this.config, this.listeners, this.logger.child('rest-proxy'), ownRegistry);
    }
    this.schemaRegistry = startEmbeddedRegistry(this.config, this.listeners, this.logger, this.registryStart.signal);
    this.console = await startBrokerConsole(this.config, this.listeners, this.observability?.listeners.map((l) => `${l.url}/metrics`) ?? [], this.logger.child('console'), this.schemaRegistry);
    this.logger.info(`Samsa broker ${this.nodeId} started in ${(performance.now() - started).toFixed(0)} ms: listeners ${this.listeners.map((l) => `${l.name}://${l.host || '0.0.0.0'}:${l.port}`).join(', ')}, log.dirs ${dirs.join(', ')}`);
  }

  /** The request router (broker-router.ts); the schema ids it serves are closed when the broker stops. */
  private buildRouter(): RequestRouter {
    this.schemaIds = new BrokerSchemaIds(() => this.schemaRegistry, this.config, this.listeners, this.logger);
    return buildRequestRouter(this, this.schemaIds, this.gateOptions, this.throttles?.leader ?? null);
  }

  /** What the metrics read at scrape time (broker/observability.ts). */
  private observabilitySources(): ObservabilitySources {
    const none: never[] = [];
    return {
      nodeId: this.nodeId,
      topicStats: this.topicStats,
      replicationStats: this.replicationStats,
      maxPartitionSeries: this.config.int('metrics.partition.series.max'),
      apiName: (k) => this.router?.handlers.get(k)?.name ?? `api${k}`,
      partitions: () => (this.router === undefined ? none : this.replicas.all()),
      partition: (t, i) => this.replicas.partition(t, i),
      image: () => (this.metadata === undefined ? undefined : this.metadata.image()),
      isController: () => (this.cluster === null ? this.metadata !== undefined : this.cluster.controllerId === this.nodeId),
      isrChanges: () => ({ shrinks: this.isrUpdater?.shrinks ?? 0, expands: this.isrUpdater?.expands ?? 0 }),
      connections: () => this.servers.map((s, i) => ({ listener: this.listeners[i]?.name ?? String(i), count: s.connectionCount })),
      authentications: () => this.servers.map((s, i) => ({ listener: this.listeners[i]?.name ?? String(i), ...s.authentications })),
      groups: () => this.groups,
      completedRebalances: () => this.groups?.completedRebalances ?? 0,
      transactions: () => this.txnCoordinator?.list([], [], -1).states.map((m) => txnStateName(m.state)),
      cleaner: () => (this.logs === undefined ? undefined : { totals: this.logs.cleaner.totals, last: this.logs.cleaner.lastStats }),
      offlineLogDirectoryCount: () => (this.logs === undefined ? 0 : this.logs.logDirs.length - this.logs.onlineDirs.length),
      readiness: () => {
        if (this.stopped) return { ready: false, reason: 'stopping' };
        if (!this.started) return { ready: false, reason: 'starting: loading logs and coordinators' };
        if (this.metadata.image().broker(this.nodeId) === undefined) return { ready: false, reason: 'not registered in the cluster metadata' };
        return { ready: true, reason: '' };
      },
    };
  }

  private endpoints(): { listenerName: string; host: string; port: number }[] {
    return this.listeners.map((l) => ({ listenerName: l.name, host: l.advertisedHost, port: l.advertisedPort }));
  }

  /** Registers this node and its advertised listeners in the metadata (not persisted by the local store). */
  private async registerSelf(): Promise<void> {
    await this.metadata.commit({ registeredBrokers: [this.selfImage()] });
  }

  /** `l` is called once the broker has stopped itself because every log dir failed (the CLI exits 1). */
  onHalt(l: () => void): void {
    this.haltListeners.push(l);
  }

  /** This broker's registration: listeners, rack, and its failed log dirs with the replicas they held. */
  private selfImage(): BrokerImage {
    const base = { nodeId: this.nodeId, rack: this.config.str('broker.rack'), endpoints: this.endpoints() };
    return withOfflineDirs(base, this.logs?.dirFailures.offlineDirs ?? [], this.replicas);
  }

  /**
   * A log dir failed (offline-log-dirs.ts): its partitions go offline here and the registration
   * says so. With every log dir failed the broker stops (Kafka halts the process).
   */
  private logDirFailed(dir: string): void {
    if (this.stopped) return; // found while stopping: nothing left to move
    const count = takePartitionsOffline(dir, this.replicas, this.roles);
    this.logger.warn(`${count} partition(s) of failed log directory ${dir} are offline on broker ${this.nodeId}`);
    if (this.logs.onlineDirs.length === 0) {
      this.logger.error(`Shutting down broker ${this.nodeId} because all log dirs in ${this.logs.logDirs.join(', ')} have failed`);
      void this.stop()
        .catch((e: unknown) => this.logger.error('stopping after every log dir failed', e))
        .finally(() => {
          for (const l of this.haltListeners) l();
        });
      return;
    }
    const image = this.selfImage();
    const publish = this.cluster !== null ? this.cluster.updateRegistration(image) : this.metadata.commit({ registeredBrokers: [image] });
    publish.catch((e: unknown) => this.logger.error(`publishing the offline log dir ${dir}`, e));
  }

  /**
   * In a cluster: the replica fetchers (one per source broker, over the inter-broker listener) and
   * the ISR updater of the partitions this broker leads. Null on a single node.
   */
  private startReplication(): ReplicaFetcherManager | null {
    const cluster = this.cluster;
    if (cluster === null) return null;
    const r = startClusterReplication({ config: this.config, cluster, metadata: this.metadata, localId: this.nodeId, replicas: this.replicas, stats: this.replicationStats, clock: this.clock, scheduler: this.scheduler, interBroker: this.interBroker ?? interBrokerSecurity(this.config), logger: this.logger });
    this.throttles = r.throttles;
    this.fetchers = r.fetchers;
    this.isrUpdater = r.isrUpdater;
    return this.fetchers;
  }

  /** The listener a connection arrived on, for advertising addresses in Metadata. */
  listenerNamed(name: string): BoundListener | undefined {
    return this.listeners.find((l) => l.name === name) ?? this.listeners[0];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const stopping = performance.now();
    const wasStarted = this.started;
    this.started = false;
    await this.restProxy?.close().catch((e: unknown) => this.logger.warn('closing the REST proxy failed', e));
    this.restProxy = null;
    await this.console?.close().catch(() => undefined);
    this.console = null;
    this.registryStart.abort();
    await this.schemaRegistry?.then((r) => r.close(), () => undefined);
    await this.schemaIds?.close();
    await controlledShutdown(this.cluster, this.fetchers, this.config, this.logger);
    await Promise.all(this.servers.map((s) => s.close()));
    this.servers = [];
    this.poolTrimming?.cancel();
    this.poolTrimming = null;
    this.fetchSessions.clear();
    this.groups?.shutdown();
    this.shares?.close();
    this.txnCoordinator?.shutdown();
    this.markerRouting?.close();
    this.producerMaintenance?.stop();
    try {
      this.producerMaintenance?.snapshotAll();
    } catch (e) {
      this.logger.error('snapshotting producer state at shutdown failed', e);
    }
    this.isrUpdater?.stop();
    await this.fetchers?.stop();
    await this.cluster?.close();
    this.applier?.stop();
    this.logs?.shutdown();
    await this.logs?.backgroundWritesDone();
    for (const l of this.dirLocks) l.release();
    this.dirLocks = [];
    await this.observability?.close();
    this.observability = null;
    if (wasStarted) this.logger.info(`Samsa broker ${this.nodeId} stopped in ${(performance.now() - stopping).toFixed(0)} ms`);
  }
}
