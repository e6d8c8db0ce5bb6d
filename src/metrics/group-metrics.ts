/**
 * Group coordinator metrics and consumer lag, read at scrape time from the groups this broker
 * coordinates.
 *
 * Kafka's GroupMetadataManager gauges (kafka.coordinator.group:type=GroupMetadataManager,
 * name=NumGroups|NumGroupsStable|...|NumOffsets) as the JMX exporter names them:
 *   kafka_coordinator_group_groupmetadatamanager_numgroups, ..._numgroupsstable, ..._numoffsets
 * plus completed rebalances (Kafka's group-coordinator-metrics group-completed-rebalance-count):
 *   kafka_server_group_coordinator_metrics_group_completed_rebalance_total
 *
 * Consumer lag: Kafka brokers do not export it; operators bolt on a lag exporter (kafka_exporter,
 * Burrow) that reads committed offsets and log end offsets. Samsa's broker exports the same series
 * as kafka_exporter, for the groups it coordinates:
 *   kafka_consumergroup_current_offset{consumergroup,topic,partition}  committed offset
 *   kafka_consumergroup_lag{consumergroup,topic,partition}             max(0, end - committed)
 *   kafka_consumergroup_lag_sum{consumergroup,topic}
 * with `end` the partition's high watermark (what ListOffsets LATEST answers, and what `samsa
 * groups --describe` shows as LOG-END-OFFSET). Deviation: only partitions hosted on this broker
 * have a lag here (in a cluster, the coordinator may not host every partition a group consumes:
 * its follower copy's high watermark is used when it has one; partitions it has no replica of are
 * left out — sum the lag across brokers, or scrape the leaders).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Partition } from '../broker/partition.js';
import type { Group } from '../group/groups.js';
import type { OffsetStore } from '../group/offset-store.js';

export interface GroupMetricSources {
  /** The group coordinator's groups and offsets (undefined before the broker has started). */
  groups(): { allGroups(): Group[]; readonly offsets: Pick<OffsetStore, 'groupIds' | 'offsetsOf' | 'count'> } | undefined;
  partition(topic: string, index: number): Partition | undefined;
  completedRebalances(): number;
}

const STATES = ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'] as const;

export function registerGroupMetrics(registry: Registry, src: GroupMetricSources): void {
  const registers = [registry];
  new Gauge({ name: 'kafka_coordinator_group_groupmetadatamanager_numgroups', help: 'Groups coordinated by this broker (NumGroups)', registers, collect() {
    this.set(src.groups()?.allGroups().length ?? 0);
  } });
  for (const state of STATES) {
    new Gauge({ name: `kafka_coordinator_group_groupmetadatamanager_numgroups${state.toLowerCase()}`, help: `Groups in state ${state} (NumGroups${state})`, registers, collect() {
      let n = 0;
      for (const g of src.groups()?.allGroups() ?? []) if (g.state === state) n++;
      this.set(n);
    } });
  }
  new Gauge({ name: 'kafka_coordinator_group_groupmetadatamanager_numoffsets', help: 'Committed offsets held by this coordinator (NumOffsets)', registers, collect() {
    const g = src.groups();
    let n = 0;
    if (g !== undefined) for (const id of g.offsets.groupIds()) n += g.offsets.count(id);
    this.set(n);
  } });
  new Counter({ name: 'kafka_server_group_coordinator_metrics_group_completed_rebalance_total', help: 'Rebalances completed by groups of this coordinator (group-completed-rebalance-count)', registers, collect() {
    this.reset();
    this.inc(src.completedRebalances());
  } });

  // Lag: one walk over the committed offsets per scrape, shared by the three series.
  interface Row {
    group: string;
    topic: string;
    partition: number;
    committed: number;
    lag: number | null;
  }
  let rows: Row[] = [];
  const collectRows = (): Row[] => {
    const out: Row[] = [];
    const g = src.groups();
    if (g === undefined) return out;
    for (const group of g.offsets.groupIds()) {
      for (const o of g.offsets.offsetsOf(group)) {
        const committed = Number(o.value.offset);
        const p = src.partition(o.topic, o.partition);
        out.push({ group, topic: o.topic, partition: o.partition, committed, lag: p === undefined ? null : Math.max(0, p.highWatermark - committed) });
      }
    }
    return out;
  };
  new Gauge({ name: 'kafka_consumergroup_current_offset', help: 'Committed offset of a group in a partition', labelNames: ['consumergroup', 'topic', 'partition'], registers, collect() {
    rows = collectRows();
    this.reset();
    for (const r of rows) this.set({ consumergroup: r.group, topic: r.topic, partition: String(r.partition) }, r.committed);
  } });
  new Gauge({ name: 'kafka_consumergroup_lag', help: 'Records between the committed offset and the high watermark (partitions hosted here)', labelNames: ['consumergroup', 'topic', 'partition'], registers, collect() {
    this.reset();
    for (const r of rows) if (r.lag !== null) this.set({ consumergroup: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
  } });
  new Gauge({ name: 'kafka_consumergroup_lag_sum', help: 'Lag of a group summed over the partitions of a topic hosted here', labelNames: ['consumergroup', 'topic'], registers, collect() {
    this.reset();
    const sums = new Map<string, { group: string; topic: string; lag: number }>();
    for (const r of rows) {
      if (r.lag === null) continue;
      const key = `${r.group}\u0000${r.topic}`;
      const s = sums.get(key);
      if (s === undefined) sums.set(key, { group: r.group, topic: r.topic, lag: r.lag });
      else s.lag += r.lag;
    }
    for (const s of sums.values()) this.set({ consumergroup: s.group, topic: s.topic }, s.lag);
  } });
}
