/**
 * Settings Kafka has and Samsa does not (yet) honour, checked at start-up.
 *
 * Kafka's rule: every listener name resolves to a security protocol through
 * listener.security.protocol.map (default: each of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL maps
 * to itself; an explicit map replaces the default), and a listener whose name has no mapping stops
 * start-up. Samsa's deviations:
 * - All four protocols are served (TLS and SASL: src/config/listener-security.ts checks that each
 *   listener has what its protocol needs, so nothing is ever silently served in plaintext).
 * - Security settings Samsa does not implement yet (GSSAPI's sasl.kerberos.*,
 *   connections.max.reauth.ms, ...) are refused with a message saying so,
 *   rather than the generic "unknown configuration".
 * - Settings marked `inert` in broker-config-defs.ts are accepted for compatibility with Kafka's
 *   sample server.properties; setting one explicitly logs a warning that it is ignored (KRaft and
 *   cluster settings: Samsa runs as one combined broker and controller node).
 */
import { ConfigError } from '../common/errors.js';
import { brokerConfigByName } from './broker-config-defs.js';
import type { Listener } from './broker-config.js';

import { SecurityProtocol } from '../common/security-protocol.js';

const PROTOCOLS: readonly string[] = Object.values(SecurityProtocol);
const IMPLEMENTED: ReadonlySet<string> = new Set(PROTOCOLS);

/** listener.security.protocol.map as Kafka reads it: the explicit map, else every protocol to itself. */
export function securityProtocolMap(entries: readonly string[] | null): Map<string, string> {
  const map = new Map<string, string>();
  if (entries === null) {
    for (const p of PROTOCOLS) map.set(p, p);
    return map;
  }
  for (const e of entries) {
    const i = e.indexOf(':');
    const name = i > 0 ? e.slice(0, i).trim() : '';
    const protocol = i > 0 ? e.slice(i + 1).trim().toUpperCase() : '';
    if (name === '' || protocol === '') {
      throw new ConfigError('listener.security.protocol.map', `Invalid value ${entries.join(',')} for configuration listener.security.protocol.map: expected LISTENER_NAME:SECURITY_PROTOCOL entries, got '${e}'`);
    }
    if (!PROTOCOLS.includes(protocol)) {
      throw new ConfigError('listener.security.protocol.map', `Invalid value ${entries.join(',')} for configuration listener.security.protocol.map: unknown security protocol ${protocol} (one of ${PROTOCOLS.join(', ')})`);
    }
    map.set(name, protocol);
  }
  return map;
}

/** Refuses listeners whose security protocol is not implemented (or that have none). */
export function checkListenerSecurity(map: ReadonlyMap<string, string>, lists: readonly { key: string; listeners: readonly Listener[] }[]): void {
  for (const { key, listeners } of lists) {
    for (const l of listeners) {
      const where = `listener ${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port} in ${key}`;
      const protocol = map.get(l.name);
      if (protocol === undefined) {
        throw new ConfigError(key, `No security protocol defined for listener ${l.name} (${where}); map it in listener.security.protocol.map, e.g. ${l.name}:PLAINTEXT`);
      }
      if (!IMPLEMENTED.has(protocol)) {
        const mapped = protocol === l.name ? '' : ` (listener ${l.name} is mapped to ${protocol} in listener.security.protocol.map)`;
        throw new ConfigError(key, `security protocol ${protocol} is not implemented yet: ${where}${mapped}. use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`);
      }
    }
  }
}

/** Kafka settings that change security semantics; Samsa refuses them until it implements them. */
const SECURITY_PREFIXES = ['ssl.', 'sasl.', 'security.', 'listener.name.', 'delegation.token.', 'password.encoder.', 'principal.'];
const SECURITY_NAMES = new Set<string>();

/** A refusal message for an unrecognised key that is a Kafka security setting, else null. */
export function unimplementedSettingMessage(key: string): string | null {
  if (!SECURITY_NAMES.has(key) && !SECURITY_PREFIXES.some((p) => key.startsWith(p))) return null;
  return `Configuration '${key}' is a security setting that Samsa does not implement yet (TLS, SASL PLAIN/SCRAM/OAUTHBEARER, re-authentication and ACLs are implemented; GSSAPI and delegation tokens are not); remove it`;
}

/** KRaft settings: ignored because Samsa has no KRaft quorum (a cluster keeps its metadata in etcd: etcd.endpoints). */
const CLUSTER_SETTINGS = new Set([
  'process.roles',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
  'metadata.log.dir',
]);

/** WARN lines for explicitly set settings that Samsa accepts but ignores (at most two lines). */
export function ignoredSettingWarnings(explicitKeys: Iterable<string>): string[] {
  const cluster: string[] = [];
  const other: string[] = [];
  for (const key of explicitKeys) {
    if (brokerConfigByName.get(key)?.inert !== true) continue;
    (CLUSTER_SETTINGS.has(key) ? cluster : other).push(key);
  }
  const out: string[] = [];
  if (cluster.length > 0) {
    out.push(`Ignoring ${cluster.join(', ')}: Samsa runs as a single node that is both broker and controller, or as a cluster whose metadata and controller election live in etcd (etcd.endpoints); there is no KRaft quorum, so these settings have no effect`);
  }
  if (other.length > 0) out.push(`Ignoring ${other.join(', ')}: accepted for compatibility with Kafka but not used by Samsa`);
  return out;
}
