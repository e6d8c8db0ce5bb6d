/**
 * `log.level` and `log.levels` applied to a broker's logger (Kafka sets its log4j levels from
 * log4j.properties and the BROKER_LOGGER resource; Samsa's per-component levels take
 * `component=level` entries). Apart from the metrics module so a broker without
 * metrics.listeners loads no prom-client.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger, LogLevel } from '../common/logger.js';

/** Applies `log.level` (when set) and `log.levels` to a broker's logger. */
export function applyLogConfig(logger: Logger, config: BrokerConfig): void {
  if (config.has('log.level')) logger.setLevel((config.str('log.level') ?? 'info').toLowerCase() as LogLevel);
  for (const entry of config.list('log.levels')) {
    const eq = entry.indexOf('=');
    logger.setLevel(entry.slice(eq + 1).toLowerCase() as LogLevel, entry.slice(0, eq));
  }
}
