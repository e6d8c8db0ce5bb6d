/** Kafka-style config value types and parsing, shared by broker and topic configs. */
import { ConfigError } from '../common/errors.js';

export const ConfigType = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
} as const;
export type ConfigTypeValue = (typeof ConfigType)[keyof typeof ConfigType];

export type ConfigValue = string | number | boolean | string[] | null;

export interface ConfigKeyDef {
  name: string;
  type: ConfigTypeValue;
  /** Default as Kafka would print it (null = no value). */
  defaultValue: ConfigValue;
  /** Extra check beyond type parsing; returns an error text when invalid. */
  validate?: (value: ConfigValue) => string | undefined;
  /** True when the setting is recognised for compatibility but has no effect here. */
  inert?: boolean;
  sensitive?: boolean;
  readOnly?: boolean;
}

export function parseConfigValue(def: ConfigKeyDef, raw: string): ConfigValue {
  const text = raw.trim();
  switch (def.type) {
    case ConfigType.boolean: {
      const lower = text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw new ConfigError(def.name, `Invalid value ${raw} for configuration ${def.name}: Expected value to be either true or false`);
    }
    case ConfigType.int:
    case ConfigType.short:
    case ConfigType.long: {
      if (!/^-?\d+$/.test(text)) {
        throw new ConfigError(def.name, `Invalid value ${raw} for configuration ${def.name}: Not a number of type ${typeName(def.type)}`);
      }
      const n = Number(text);
      const limit = def.type === ConfigType.int ? 2 ** 31 : def.type === ConfigType.short ? 2 ** 15 : 2 ** 63;
      if (n >= limit || n < -limit) {
        throw new ConfigError(def.name, `Invalid value ${raw} for configuration ${def.name}: Not a number of type ${typeName(def.type)}`);
      }
      // Long values beyond 2^53 are clamped to the largest safe integer (Long.MAX_VALUE means "unbounded").
      return Number.isSafeInteger(n) ? n : n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
    }
    case ConfigType.double: {
      const n = Number(text);
      if (text === '' || Number.isNaN(n)) {
        throw new ConfigError(def.name, `Invalid value ${raw} for configuration ${def.name}: Not a number of type DOUBLE`);
      }
      return n;
    }
    case ConfigType.list:
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return text;
  }
}

export function typeName(t: ConfigTypeValue): string {
  switch (t) {
    case ConfigType.boolean: return 'BOOLEAN';
    case ConfigType.string: return 'STRING';
    case ConfigType.int: return 'INT';
    case ConfigType.short: return 'SHORT';
    case ConfigType.long: return 'LONG';
    case ConfigType.double: return 'DOUBLE';
    case ConfigType.list: return 'LIST';
    case ConfigType.class: return 'CLASS';
    default: return 'PASSWORD';
  }
}

export function formatConfigValue(v: ConfigValue): string | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' && v === Number.MAX_SAFE_INTEGER) return '9223372036854775807';
  return String(v);
}

export const atLeast = (min: number) => (v: ConfigValue): string | undefined =>
  typeof v === 'number' && v < min ? `Value must be at least ${min}` : undefined;

export const oneOf = (...allowed: string[]) => (v: ConfigValue): string | undefined => {
  const values = Array.isArray(v) ? v : [String(v)];
  for (const x of values) if (!allowed.includes(x)) return `String must be one of: ${allowed.join(', ')}`;
  return undefined;
};

export const between = (min: number, max: number) => (v: ConfigValue): string | undefined =>
  typeof v === 'number' && (v < min || v > max) ? `Value must be between ${min} and ${max}` : undefined;
