/**
 * The on-demand creation of a coordinator's internal topic (`__consumer_offsets`,
 * `__transaction_state`). Kafka's rule: the topic is created, compacted, with its configured
 * partition count and segment size when a client first needs its coordinator (FindCoordinator,
 * or a write that finds it missing); meanwhile requests get COORDINATOR_NOT_AVAILABLE, and
 * FindCoordinator waits for it. One creation runs at a time: a request arriving while one is
 * under way shares it. Samsa's deviation: none known (a creation is an asynchronous metadata
 * commit; a store that commits at once has created the topic by the time `ensure` checks again).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { InternalTopics, MetadataView } from './deps.js';

export interface InternalTopicDeps {
  readonly metadata: MetadataView;
  readonly internal: InternalTopics;
  readonly logger: Logger;
}

/** The partition count and segment size a topic is created with (read at each creation). */
export interface InternalTopicLayout {
  readonly numPartitions: number;
  readonly segmentBytes: number;
}

export class InternalTopic {
  /** The creation under way, if any. */
  private creating: Promise<void> | null = null;

  constructor(
    private readonly deps: InternalTopicDeps,
    readonly name: string,
    private readonly layout: () => InternalTopicLayout,
  ) {}

  exists(): boolean {
    return this.deps.metadata.partitionCount(this.name) !== undefined;
  }

  /**
   * Starts creating the topic when it does not exist yet and throws COORDINATOR_NOT_AVAILABLE
   * until the creation is committed.
   */
  ensure(): void {
    if (this.exists()) return;
    void this.create().catch(() => undefined);
    // (A store that commits at once has created it by now.)
    if (!this.exists()) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${this.name} is being created`);
  }

  /** Resolves once the topic exists, creating it if needed (FindCoordinator waits for it). */
  async ready(): Promise<void> {
    if (!this.exists()) await this.create();
  }

  /** Creates the topic (one creation at a time); rejects with the creation's error. */
  create(): Promise<void> {
    if (this.creating !== null) return this.creating;
    const { numPartitions, segmentBytes } = this.layout();
    const creating = this.deps.internal
      .create({ name: this.name, numPartitions, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) } })
      .then(() => this.deps.logger.info(`Created internal topic ${this.name} with ${numPartitions} partitions`))
      .finally(() => {
        if (this.creating === creating) this.creating = null;
      });
    this.creating = creating;
    return creating;
  }
}
