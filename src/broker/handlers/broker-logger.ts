/**
 * The BROKER_LOGGER config resource (type 8, KIP-412): a broker's log levels, read with
 * DescribeConfigs and changed with IncrementalAlterConfigs, as Kafka does for its log4j loggers.
 * The resource name is the broker's node id; the config names are logger names, the values levels.
 *
 * Kafka's rules, kept: Describe lists every logger with its effective level, source
 * DYNAMIC_BROKER_LOGGER_CONFIG, not read-only, no synonyms. IncrementalAlterConfigs SET takes one of
 * TRACE, DEBUG, INFO, WARN, ERROR, FATAL (case-insensitive), DELETE returns a logger to its
 * parent's level; a logger that does not exist or a level that is not one is INVALID_CONFIG;
 * DELETE of the root logger, APPEND, SUBTRACT and unknown operations are INVALID_REQUEST; a name
 * other than this node's id is INVALID_REQUEST. Levels are not persisted (lost on restart, as in
 * Kafka); validateOnly checks without applying. Legacy AlterConfigs does not accept the resource.
 *
 * Samsa's deviation: the loggers are the broker's components ("root", "network",
 * "group-coordinator", "cluster.controller", "request", ...), not Java class names.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { isLogLevel, type Logger, type LogLevel } from '../../common/logger.js';
import { CONFIG_SOURCE } from './config-sources.js';

export type BrokerLoggerLevels = Pick<Logger, 'components' | 'levelOf' | 'setLevel'>;

const ROOT = 'root';
const VALID = 'DEBUG,ERROR,FATAL,INFO,TRACE,WARN';
const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/** Throws INVALID_REQUEST unless `name` is this broker's node id. */
export function checkBrokerLoggerName(name: string, nodeId: number): void {
  if (name === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
  if (!/^-?\d+$/.test(name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  if (Number(name) !== nodeId) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId}, but received ${name}`);
}

/** DescribeConfigs entries: root, then every component, with its effective level. */
export function describeBrokerLoggers(levels: BrokerLoggerLevels): { name: string; value: string; readOnly: boolean; isDefault: boolean; configSource: number; isSensitive: boolean; synonyms: never[]; configType: number; documentation: null }[] {
  return [ROOT, ...levels.components()].map((name) => ({
    name,
    value: levels.levelOf(name === ROOT ? '' : name).toUpperCase(),
    readOnly: false,
    isDefault: false,
    configSource: CONFIG_SOURCE.DYNAMIC_BROKER_LOGGER_CONFIG,
    isSensitive: false,
    synonyms: [],
    configType: 0,
    documentation: null,
  }));
}

/** Applies (or with validateOnly only checks) one IncrementalAlterConfigs resource of type BROKER_LOGGER. */
export function alterBrokerLoggers(levels: BrokerLoggerLevels, ops: readonly { name: string; configOperation: number; value: string | null }[], validateOnly: boolean): void {
  const known = new Set(levels.components());
  const changes: [string, LogLevel | null][] = [];
  for (const op of ops) {
    const name = op.name;
    if (op.configOperation === OP.APPEND || op.configOperation === OP.SUBTRACT) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `${op.configOperation === OP.APPEND ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`);
    }
    if (op.configOperation !== OP.SET && op.configOperation !== OP.DELETE) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${op.configOperation} is not allowed for the BROKER_LOGGER resource`);
    }
    if (name !== ROOT && !known.has(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${name} does not exist!`);
    if (op.configOperation === OP.DELETE) {
      if (name === ROOT) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Removing the log level of the root logger is not allowed');
      changes.push([name, null]);
      continue;
    }
    const level = (op.value ?? '').toLowerCase();
    if (!isLogLevel(level)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Cannot set the log level of ${name} to ${op.value ?? 'null'} as it is not a supported log level. Valid log levels are ${VALID}`);
    changes.push([name, level]);
  }
  if (validateOnly) return;
  for (const [name, level] of changes) levels.setLevel(level, name === ROOT ? undefined : name);
}
