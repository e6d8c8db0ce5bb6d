/**
 * Certificate reload without a restart (Kafka's dynamic SSL configs, SslFactory.reconfigure): a
 * TLS listener's key store and trust store (ssl.keystore.* / ssl.truststore.*, with or without the
 * listener.name.<listener>. prefix) may be changed with AlterConfigs / IncrementalAlterConfigs on
 * this broker's BROKER resource. Kafka's rules:
 * - the new material is loaded and checked before the change is stored: a file that cannot be
 *   read, a key that does not match its certificate, a wrong password, a malformed PEM refuse the
 *   change (INVALID_CONFIG) and nothing changes;
 * - the new key store's certificate must have the subject and the subject alternative names of
 *   the old one, unless ssl.allow.dn.changes / ssl.allow.san.changes are true (Kafka's
 *   SslFactory.CertificateEntries check);
 * - new connections get the new material; connections already open keep theirs.
 * The material is loaded again when the settings a listener sees change, or when a key store /
 * trust store file's modification time changed since it was loaded (Kafka reloads a changed file
 * when its setting is altered, even to the same value).
 * Samsa deviation: a PKCS12 key store's certificate is not compared (Node cannot read it apart
 * from the key).
 */
import { statSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { SecurityProtocol } from '../common/security-protocol.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { RECONFIGURABLE_SSL_CONFIGS } from '../config/dynamic-broker-config.js';
import { tlsSettings, type ClientAuth, type TlsSettings } from '../config/listener-security.js';
import type { ConnectionPrincipal } from '../network/connection.js';
import type { ListenerTls } from '../network/server.js';
import { mapPrincipal, rfc2253 } from './principal-mapping.js';

/** What the listener's key material depends on: the settings it sees and its files' modification times. */
function fingerprint(config: BrokerConfig, listener: string): string {
  const parts: string[] = [];
  for (const key of RECONFIGURABLE_SSL_CONFIGS) {
    const v = config.forListener(listener, key);
    parts.push(`${key}=${JSON.stringify(v)}`);
    if ((key === 'ssl.keystore.location' || key === 'ssl.truststore.location') && typeof v === 'string') {
      try {
        parts.push(`mtime=${statSync(v).mtimeMs}`);
      } catch {
        parts.push('mtime=none');
      }
    }
  }
  return parts.join('\n');
}

function altNames(c: X509Certificate): string {
  return (c.subjectAltName ?? '').split(', ').sort().join(', ');
}

export class ReloadableTls implements ListenerTls {
  private current: TlsSettings;
  private applied: string;

  constructor(
    private readonly config: BrokerConfig,
    private readonly listener: string,
    private readonly protocol: SecurityProtocol,
    initial: TlsSettings,
    private readonly logger: Logger,
  ) {
    this.current = initial;
    this.applied = fingerprint(config, listener);
  }

  get secureContext(): SecureContext {
    return this.current.secureContext;
  }

  get clientAuth(): ClientAuth {
    return this.current.clientAuth;
  }

  principalOf(subjectDn: string): ConnectionPrincipal {
    return { principalType: 'User', name: mapPrincipal(this.current.principalRules, rfc2253(subjectDn)) };
  }

  /** Loads the material `prospective` gives this listener and checks it; throws ConfigError. */
  check(prospective: BrokerConfig): TlsSettings | null {
    if (fingerprint(prospective, this.listener) === this.applied) return null;
    const next = tlsSettings(prospective, this.listener, this.protocol);
    const before = this.current.certificate;
    const after = next.certificate;
    if (before !== null && after !== null) {
      if (before.subject !== after.subject && prospective.forListener(this.listener, 'ssl.allow.dn.changes') !== true) {
        throw new ConfigError('ssl.keystore.location', `listener ${this.listener}: Keystore DistinguishedName does not match: existing={${before.subject.replace(/\n/g, ', ')}}, new={${after.subject.replace(/\n/g, ', ')}} (set ssl.allow.dn.changes=true to allow it)`);
      }
      if (altNames(before) !== altNames(after) && prospective.forListener(this.listener, 'ssl.allow.san.changes') !== true) {
        throw new ConfigError('ssl.keystore.location', `listener ${this.listener}: Keystore SubjectAltNames do not match: existing={${altNames(before)}}, new={${altNames(after)}} (set ssl.allow.san.changes=true to allow it)`);
      }
    }
    return next;
  }

  /** The dynamic settings changed: new connections get the new material (open ones keep theirs). */
  reload(): void {
    const now = fingerprint(this.config, this.listener);
    if (now === this.applied) return;
    try {
      const next = this.check(this.config);
      this.applied = now;
      if (next === null) return;
      this.current = next;
      const c = next.certificate;
      this.logger.info(`listener ${this.listener}: TLS key material reloaded${c === null ? '' : ` (certificate ${c.subject.replace(/\n/g, ',')} issued by ${c.issuer.replace(/\n/g, ',')}, valid to ${c.validTo})`}`);
    } catch (e) {
      // Checked before it was stored; a file changed or removed since then keeps the old material.
      this.applied = now;
      this.logger.error(`listener ${this.listener}: cannot reload the TLS key material, keeping the previous one`, e);
    }
  }
}
