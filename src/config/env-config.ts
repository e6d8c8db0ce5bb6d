/**
 * Broker properties from environment variables, the way Kafka's Docker images map them
 * (apache/kafka and confluentinc/cp-kafka: KAFKA_ADVERTISED_LISTENERS → advertised.listeners):
 * the `SAMSA_` prefix is dropped, the rest lower-cased, `___` becomes `-`, `__` becomes `_` and
 * `_` becomes `.` — so SAMSA_NODE_ID → node.id, SAMSA_ETCD_ENDPOINTS → etcd.endpoints,
 * SAMSA_LOG_DIRS → log.dirs.
 * Samsa deviation: only names of broker settings Samsa knows are taken (Kafka's images pass on
 * every KAFKA_* except their own few); others are reported and ignored, because SAMSA_* also
 * names Samsa's own variables (SAMSA_LOG_LEVEL, SAMSA_DEBUG, test and bench knobs).
 * `samsa start` applies them over the properties file and under --override and the shorthands.
 */
import { brokerConfigByName } from './broker-config-defs.js';

const PREFIX = 'SAMSA_';
/** Samsa's own variables (not broker properties): never mapped, never reported. */
const OWN = /^SAMSA_(LOG_LEVEL|DEBUG|HOME|VERSION|OPTS|TEST_.*|BENCH_.*|FUZZ_.*|GO_.*|GROUP_DEBUG.*)$/;

/** The property name an environment variable maps to (null: not a SAMSA_ variable). */
export function envToProperty(name: string): string | null {
  if (!name.startsWith(PREFIX) || name.length === PREFIX.length) return null;
  return name
    .slice(PREFIX.length)
    .toLowerCase()
    .replace(/___/g, '\u0000')
    .replace(/__/g, '\u0001')
    .replace(/_/g, '.')
    .replace(/\u0000/g, '-')
    .replace(/\u0001/g, '_');
}

/** The environment variable a property is set with (the inverse of envToProperty). */
export function propertyToEnv(property: string): string {
  return PREFIX + property.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase();
}

/** Broker properties set in `env`, and the SAMSA_ variables that name no broker setting. */
export function propertiesFromEnv(env: Readonly<Record<string, string | undefined>>): { properties: Map<string, string>; ignored: string[] } {
  const properties = new Map<string, string>();
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const property = envToProperty(name);
    if (property === null || value === undefined || OWN.test(name)) continue;
    if (brokerConfigByName.has(property)) properties.set(property, value);
    else ignored.push(name);
  }
  return { properties, ignored };
}
