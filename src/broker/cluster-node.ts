/**
 * A broker's membership of a cluster on etcd (docs/replication.md): the metadata store, the
 * broker's registration on a lease, and its candidacy for controller.
 *
 * Start-up order, so that a broker restarted after a crash never leads with stale data:
 * 1. open the store (the cluster id is created by the first broker);
 * 2. wait until the registration of this node id from its previous run has expired (a second
 *    live broker with the same node.id is refused: DUPLICATE_BROKER_REGISTRATION);
 * 3. step down from every partition the metadata still says this broker leads (AlterPartition
 *    with compare-and-swap: another live ISR member takes over, or the partition goes offline
 *    keeping this broker as its last ISR member), because its log may miss what it acknowledged
 *    with acks=1 or hold what was never committed;
 * 4. register (advertised listeners, rack) on a lease of `broker.session.timeout.ms`; the
 *    controller then elects it where it is the only one left, with a new leader epoch;
 * 5. campaign for controller; while elected, run the ControllerRole (fenced by its epoch).
 * A registration lost while running (etcd answered that the lease expired: the process was frozen
 * or cut off from etcd past its lease) is made again; an etcd that does not answer loses nothing
 * (registration.ts, docs/cluster.md "etcd outages and network faults").
 * Stopping (controlled.shutdown.enable): `controlledShutdown` moves leadership and ISR membership
 * off this broker (cluster/controlled-shutdown.ts) before `close` revokes the registration.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BrokerImage, MetadataImage, TopicImage } from '../metadata/image.js';
import { ControllerRole } from '../cluster/controller.js';
import { campaignForController, observeController, type ControllerCandidate, type ControllerLeadership } from '../cluster/etcd/election.js';
import { EtcdMetadataStore } from '../cluster/etcd/metadata-store.js';
import { registerBroker, unregisterBroker, type BrokerRegistration } from '../cluster/etcd/registration.js';
import { EtcdSession } from '../cluster/etcd/session.js';
import { electAfterFailures } from '../cluster/partition-elections.js';
import { controlledShutdown, type ControlledShutdownResult } from '../cluster/controlled-shutdown.js';

export interface ClusterNodeOptions {
  endpoints: readonly string[];
  prefix: string;
  nodeId: number;
  /** broker.session.timeout.ms: the registration lease. */
  sessionTimeoutMs: number;
  newClusterId: () => string;
  uncleanAllowed(topic: TopicImage): boolean;
  /** auto.leader.rebalance.enable with its check interval and percentage; null: disabled. */
  rebalance: { intervalMs: number; percentage: number } | null;
  scheduler: Scheduler;
  logger: Logger;
}

export class ClusterNode {
  private registration: BrokerRegistration | null = null;
  /** What this broker registered last (with its offline log dirs). */
  private self: BrokerImage | null = null;
  private leadership: ControllerLeadership | null = null;
  private candidate: ControllerCandidate | null = null;
  private role: ControllerRole | null = null;
  private stopObserving: (() => Promise<void>) | null = null;
  private closed = false;
  private campaigning: Promise<void> | null = null;
  /** The controller's node id (-1 while none is elected). */
  controllerId = -1;

  private constructor(
    readonly session: EtcdSession,
    readonly store: EtcdMetadataStore,
    private readonly opts: ClusterNodeOptions,
  ) {}

  static async open(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const session = new EtcdSession({ endpoints: opts.endpoints, prefix: opts.prefix });
    try {
      const store = await EtcdMetadataStore.open(session, opts.newClusterId);
      const node = new ClusterNode(session, store, opts);
      node.stopObserving = await observeController(session, (id) => (node.controllerId = id ?? -1));
      return node;
    } catch (e) {
      session.close();
      throw e;
    }
  }

  /** Steps 2-4: waits out an old registration, steps down from stale leadership, registers. */
  async register(broker: BrokerImage): Promise<void> {
    this.self = broker;
    await this.waitUntilUnregistered();
    await this.stepDownFromStaleLeadership();
    await this.registerOnce(broker);
  }

  /**
   * Publishes a new value of this broker's registration (Kafka carries a broker's offline log dirs
   * in its registration): the controller moves leadership off its offline replicas. A registration
   * made again later (lost lease) carries it too.
   */
  async updateRegistration(broker: BrokerImage): Promise<void> {
    this.self = broker;
    await this.registration?.update(broker);
  }

  /**
   * Whether this broker may have been replaced as leader without knowing it yet: it is not
   * registered (registering again after a lost lease), or etcd has left its lease's keep-alives
   * unanswered for more than half of broker.session.timeout.ms (frozen or cut off from etcd: the
   * controller elects other leaders once the lease expires, and this broker's metadata, learnt
   * from etcd, may be stale). follower-reads.ts uses it.
   */
  leadershipInDoubt(): boolean {
    const reg = this.registration;
    return reg === null || reg.silentMs() > this.opts.sessionTimeoutMs / 2;
  }

  /** Step 5: campaigns for controller (in the background) for as long as the node is open. */
  startCampaign(): void {
    this.campaigning ??= this.campaign();
  }

  /**
   * The running controller role when this broker is the controller (controlled shutdown and
   * preferred-leader elections go through it), else null.
   */
  get controller(): ControllerRole | null {
    return this.role;
  }

  private async waitUntilUnregistered(): Promise<void> {
    const { nodeId, sessionTimeoutMs } = this.opts;
    if (this.store.image().broker(nodeId) === undefined) return;
    this.opts.logger.info(`waiting for the registration of node ${nodeId} from a previous run to expire (up to broker.session.timeout.ms = ${sessionTimeoutMs} ms)`);
    await this.waitForImage((img) => img.broker(nodeId) === undefined, sessionTimeoutMs * 2 + 5_000, `node.id ${nodeId} is registered by another live broker`);
  }

  /** Resolves once `ready(image)` holds, checking every image; rejects with DUPLICATE_BROKER_REGISTRATION after `timeoutMs`. */
  private waitForImage(ready: (img: MetadataImage) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (ready(this.store.image())) {
        resolve();
        return;
      }
      const unwatch = this.store.watch((img) => {
        if (!ready(img)) return;
        timer.cancel();
        unwatch();
        resolve();
      });
      const timer = this.opts.scheduler.schedule(timeoutMs, () => {
        unwatch();
        reject(new KafkaError(ErrorCode.DUPLICATE_BROKER_REGISTRATION, what));
      });
    });
  }

  private async stepDownFromStaleLeadership(): Promise<void> {
    const { nodeId } = this.opts;
    for (let attempt = 0; attempt < 10; attempt++) {
      const image = this.store.image();
      const alive = new Set(image.brokers().map((b) => b.nodeId));
      alive.delete(nodeId);
      let pending = 0;
      for (const t of image.topics()) {
        for (const p of t.partitions) {
          if (p.leader !== nodeId) continue;
          const next = electAfterFailures({ replicas: p.replicas, isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch ?? 0 }, alive, false);
          if (next === null) continue;
          try {
            await this.store.alterPartition(t.topicId, p.partition, p.partitionEpoch ?? 0, { leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr });
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            pending++; // changed meanwhile: look again
          }
        }
      }
      if (pending === 0) return;
    }
  }

  private async registerOnce(broker: BrokerImage): Promise<void> {
    const reg = await registerBroker(this.session, broker, this.opts.sessionTimeoutMs);
    this.registration = reg;
    await this.waitForImage((img) => img.broker(broker.nodeId) !== undefined, 30_000, `registration of node ${broker.nodeId} not seen`);
    reg.onLost(() => {
      if (this.closed || this.registration !== reg) return;
      this.registration = null;
      this.opts.logger.warn(`the etcd lease of node ${broker.nodeId} was lost (frozen or cut off past broker.session.timeout.ms); registering again`);
      void this.reregister(this.self ?? broker);
    });
  }

  private async reregister(broker: BrokerImage): Promise<void> {
    while (!this.closed) {
      try {
        await this.register(broker);
        this.opts.logger.info(`node ${broker.nodeId} registered again`);
        return;
      } catch (e) {
        this.opts.logger.warn(`registering node ${broker.nodeId} again failed; retrying`, e);
        await new Promise<void>((r) => this.opts.scheduler.schedule(1000, r));
      }
    }
  }

  private async campaign(): Promise<void> {
    while (!this.closed) {
      try {
        const candidate = campaignForController(this.session, this.opts.nodeId, this.opts.sessionTimeoutMs);
        this.candidate = candidate;
        const leadership = await candidate.elected();
        if (this.closed) {
          await leadership.resign().catch(() => undefined);
          return;
        }
        this.leadership = leadership;
        this.opts.logger.info(`node ${this.opts.nodeId} is the controller (controller epoch ${leadership.epoch})`);
        const { rebalance, scheduler } = this.opts;
        const role = new ControllerRole(this.store.fenced(leadership.epoch), {
          uncleanAllowed: this.opts.uncleanAllowed,
          logger: this.opts.logger.child('controller'),
          ...(rebalance !== null ? { rebalance: { ...rebalance, scheduler } } : {}),
        });
        this.role = role;
        role.start();
        await new Promise<void>((resolve) => leadership.onLost(() => resolve()));
        role.stop();
        if (this.role === role) this.role = null;
        this.leadership = null;
        this.opts.logger.warn(`node ${this.opts.nodeId} lost the controller election`);
        await candidate.cancel().catch(() => undefined);
      } catch (e) {
        // A failed candidate (its lease lost while etcd was unreachable) is withdrawn, watchers and all.
        await this.candidate?.cancel().catch(() => undefined);
        if (this.closed) return;
        this.opts.logger.warn('controller campaign failed; retrying', e);
        await new Promise<void>((r) => this.opts.scheduler.schedule(1000, r));
      }
    }
  }

  /**
   * Controlled shutdown: leadership of the partitions this broker leads moves to other ISR
   * members and it leaves their ISRs, retried `maxRetries` times `retryBackoffMs` apart while some
   * remain. The registration stays until `close`.
   */
  controlledShutdown(maxRetries: number, retryBackoffMs: number): Promise<ControlledShutdownResult> {
    return controlledShutdown(this.store, { nodeId: this.opts.nodeId, maxRetries, retryBackoffMs, scheduler: this.opts.scheduler, logger: this.opts.logger });
  }

  /** UnregisterBroker: revokes the registration lease of `nodeId` (false: not registered). */
  unregister(nodeId: number): Promise<boolean> {
    return unregisterBroker(this.session, nodeId);
  }

  /** Leaves the cluster: resigns as controller, ends the registration (revoking its lease), closes etcd. */
  async close(revoke = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.role?.stop();
    this.role = null;
    await this.leadership?.resign().catch(() => undefined);
    // A candidate still waiting watches its predecessor's key: withdraw it before the client
    // closes, or etcd3 keeps re-establishing that watch (and the process alive) forever.
    await this.candidate?.cancel().catch(() => undefined);
    if (revoke) await this.registration?.close().catch(() => undefined);
    await this.stopObserving?.().catch(() => undefined);
    await this.store.close();
    this.session.close();
  }
}
