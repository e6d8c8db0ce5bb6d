/**
 * Kafka's log4j settings as Samsa reads them at start: `log.level` (the root level) and
 * `log.levels` (component=level pairs), applied to the broker's logger tree.
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
