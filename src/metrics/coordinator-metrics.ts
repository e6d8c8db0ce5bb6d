/**
 * Transaction coordinator and log cleaner metrics, read at scrape time.
 *
 * Transactions: Kafka's transaction coordinator has no per-state gauges (operators use
 * kafka-transactions.sh); Samsa exports the transactional ids it coordinates by state (Kafka's
 * state names, as ListTransactions reports them):
 *   samsa_transaction_coordinator_transactional_ids{state="Ongoing"}
 * Log cleaner: Kafka's kafka.log:type=LogCleaner gauges where Samsa has the figure, from the last
 * cleaning (cleaner-recopy-percent, max-clean-time-secs), plus the cleaner's totals:
 *   kafka_log_logcleaner_cleaner_recopy_percent, kafka_log_logcleaner_max_clean_time_secs,
 *   samsa_log_cleaner_cleanings_total, _failures_total, _bytes_read_total, _bytes_written_total
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface CoordinatorMetricSources {
  /** The transactional ids coordinated here with their state names (undefined before start-up). */
  transactions(): Iterable<string> | undefined;
  /** The log cleaner's totals and last cleaning (undefined before start-up or when disabled). */
  cleaner(): { totals: { cleanings: number; failures: number; bytesRead: number; bytesWritten: number }; last: { bytesRead: number; bytesWritten: number; durationMs: number } | undefined } | undefined;
}

export function registerCoordinatorMetrics(registry: Registry, src: CoordinatorMetricSources): void {
  const registers = [registry];
  new Gauge({ name: 'samsa_transaction_coordinator_transactional_ids', help: 'Transactional ids coordinated by this broker, per state', labelNames: ['state'], registers, collect() {
    this.reset();
    const counts = new Map<string, number>();
    for (const state of src.transactions() ?? []) counts.set(state, (counts.get(state) ?? 0) + 1);
    for (const [state, n] of counts) this.set({ state }, n);
  } });
  new Gauge({ name: 'kafka_log_logcleaner_cleaner_recopy_percent', help: 'Share of the bytes read that the last cleaning wrote back (cleaner-recopy-percent, 0..100)', registers, collect() {
    const last = src.cleaner()?.last;
    this.set(last === undefined || last.bytesRead === 0 ? 0 : (100 * last.bytesWritten) / last.bytesRead);
  } });
  new Gauge({ name: 'kafka_log_logcleaner_max_clean_time_secs', help: 'Duration of the last cleaning, in seconds (max-clean-time-secs)', registers, collect() {
    this.set((src.cleaner()?.last?.durationMs ?? 0) / 1000);
  } });
  const total = (name: string, help: string, pick: (t: { cleanings: number; failures: number; bytesRead: number; bytesWritten: number }) => number): void => {
    new Counter({ name: `samsa_log_cleaner_${name}_total`, help, registers, collect() {
      this.reset();
      const t = src.cleaner()?.totals;
      if (t !== undefined) this.inc(pick(t));
    } });
  };
  total('cleanings', 'Logs cleaned (compacted)', (t) => t.cleanings);
  total('failures', 'Cleanings that failed', (t) => t.failures);
  total('bytes_read', 'Bytes read by the cleaner', (t) => t.bytesRead);
  total('bytes_written', 'Bytes written by the cleaner', (t) => t.bytesWritten);
}
