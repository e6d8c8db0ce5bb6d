/**
 * IncrementalAlterConfigs operations (KIP-339) applied to a resource's current overrides:
 * SET, DELETE, APPEND and SUBTRACT (the last two only for LIST configs). Errors carry the Kafka
 * error code to answer with.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { ConfigType, type ConfigKeyDef, formatConfigValue } from './config-types.js';

export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterConfigOpInput {
  name: string;
  configOperation: number;
  value: string | null;
}

/** Rejects a resource whose ops name one config twice (Kafka: INVALID_REQUEST). */
export function checkDuplicateKeys(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${n}`);
    seen.add(n);
  }
}

/**
 * The overrides after applying `ops` to `current`. `defOf` gives a config's definition (for the
 * list check and the default an APPEND/SUBTRACT starts from when the config is not set).
 */
export function applyIncrementalOps(current: Readonly<Record<string, string>>, ops: readonly AlterConfigOpInput[], defOf: (name: string) => ConfigKeyDef | undefined): Record<string, string> {
  checkDuplicateKeys(ops.map((o) => o.name));
  const out: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        if (op.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op.name}`);
        out[op.name] = op.value;
        break;
      case AlterConfigOp.DELETE:
        delete out[op.name];
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const def = defOf(op.name);
        const verb = op.configOperation === AlterConfigOp.APPEND ? 'append' : 'subtract';
        if (def === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown config name: ${op.name}`);
        if (def.type !== ConfigType.list) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${op.name}`);
        if (op.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op.name}`);
        const base = out[op.name] ?? formatConfigValue(def.defaultValue) ?? '';
        const list = splitList(base);
        const values = splitList(op.value);
        const next = op.configOperation === AlterConfigOp.APPEND ? [...list, ...values.filter((v) => !list.includes(v))] : list.filter((v) => !values.includes(v));
        out[op.name] = next.join(',');
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.configOperation} for ${op.name}`);
    }
  }
  return out;
}

function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}
