/**
 * What each listener needs for its security protocol, read from the broker config at start-up
 * (Kafka's ChannelBuilders: SSL → SslFactory, SASL_* → the SASL server callbacks).
 * Kafka's rules, and the error each violation gets here (start-up refused with a ConfigError):
 * - SSL / SASL_SSL need a key store: `ssl.keystore.type=PEM` with `ssl.keystore.location` (a PEM
 *   file holding the private key and the certificate chain) or with the inline
 *   `ssl.keystore.certificate.chain` + `ssl.keystore.key`; or `PKCS12` with a location and
 *   `ssl.keystore.password`. `ssl.key.password` decrypts an encrypted key. The trust store
 *   (`ssl.truststore.*`, PEM file or inline certificates) checks client certificates; without
 *   one the system CAs do.
 * - `ssl.client.auth` none / requested / required (on SASL_SSL only when set with the listener
 *   prefix, KIP-684); the principal of a client certificate comes from
 *   ssl.principal.mapping.rules (auth/principal-mapping.ts).
 * - `ssl.enabled.protocols` bounds the TLS versions; `ssl.cipher.suites` (IANA names, as Java
 *   takes them, or OpenSSL names) restricts the TLS 1.2 suites and the TLS 1.3 ones.
 * - SASL_* listeners serve `sasl.enabled.mechanisms` (Kafka's default GSSAPI is not implemented:
 *   such a listener is refused); PLAIN reads its users from the listener's
 *   `listener.name.<listener>.plain.sasl.jaas.config` (`user_<name>="<password>"` options);
 *   OAUTHBEARER's validator comes from auth/oauth/oauth-settings.ts; connections.max.reauth.ms
 *   is read per mechanism (`listener.name.<l>.<mechanism>.connections.max.reauth.ms` first).
 * Every setting may be given per listener (`listener.name.<listener>.<setting>`).
 * Samsa deviations: JKS stores are refused (convert to PEM or PKCS12); a PKCS12 trust store is
 * refused (Node takes CA certificates as PEM).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, getCiphers, type SecureContext, type SecureVersion } from 'node:tls';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import { oauthValidator } from '../auth/oauth/oauth-settings.js';
import type { TokenValidator } from '../auth/oauth/token-validator.js';
import { ConfigError } from '../common/errors.js';
import { SecurityProtocol } from '../common/security-protocol.js';
import { parsePrincipalMappingRules, type PrincipalRule } from '../auth/principal-mapping.js';
import { parseJaasConfig, plainUsersOf } from '../auth/jaas.js';
import type { BrokerConfig, Listener } from './broker-config.js';
import { securityProtocolMap } from './unimplemented.js';

export type ClientAuth = 'none' | 'requested' | 'required';

export interface TlsSettings {
  readonly secureContext: SecureContext;
  /** The key store's own (leaf) certificate when it is PEM (certificate reload compares it). */
  readonly certificate: X509Certificate | null;
  readonly clientAuth: ClientAuth;
  readonly principalRules: readonly PrincipalRule[];
}

export const SaslMechanism = {
  PLAIN: 'PLAIN',
  SCRAM_SHA_256: 'SCRAM-SHA-256',
  SCRAM_SHA_512: 'SCRAM-SHA-512',
  OAUTHBEARER: 'OAUTHBEARER',
} as const;
export type SaslMechanism = (typeof SaslMechanism)[keyof typeof SaslMechanism];
const MECHANISMS: readonly string[] = Object.values(SaslMechanism);

export interface SaslSettings {
  readonly mechanisms: readonly SaslMechanism[];
  /** PLAIN users from the listener's JAAS config (name → password). */
  readonly plainUsers: ReadonlyMap<string, string>;
  /** sasl.server.max.receive.size: the largest frame read before authentication. */
  readonly maxReceiveSize: number;
  /** connection.failed.authentication.delay.ms. */
  readonly failedAuthDelayMs: number;
  /** OAUTHBEARER's token validator (null: OAUTHBEARER not enabled). */
  readonly oauth: TokenValidator | null;
  /** connections.max.reauth.ms of each enabled mechanism (0: not set). */
  readonly maxReauthMs: ReadonlyMap<string, number>;
}

export interface ListenerSecurity {
  readonly protocol: SecurityProtocol;
  readonly tls: TlsSettings | null;
  readonly sasl: SaslSettings | null;
}

/** The security protocol each listener name maps to. */
export function protocolOf(config: BrokerConfig, listenerName: string): SecurityProtocol {
  const map = securityProtocolMap(config.has('listener.security.protocol.map') ? config.list('listener.security.protocol.map') : null);
  return (map.get(listenerName) ?? SecurityProtocol.PLAINTEXT) as SecurityProtocol;
}

/** What OAUTHBEARER's JWKS validator needs (its clock and log); defaults: real time, no log. */
export interface SecurityDeps {
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
}

/** Reads (and checks) what `listener` needs; throws ConfigError naming the setting at fault. */
export function listenerSecurity(config: BrokerConfig, listener: Listener, deps: SecurityDeps = {}): ListenerSecurity {
  const protocol = protocolOf(config, listener.name);
  const usesTls = protocol === SecurityProtocol.SSL || protocol === SecurityProtocol.SASL_SSL;
  const usesSasl = protocol === SecurityProtocol.SASL_PLAINTEXT || protocol === SecurityProtocol.SASL_SSL;
  return {
    protocol,
    tls: usesTls ? tlsSettings(config, listener.name, protocol) : null,
    sasl: usesSasl ? saslSettings(config, listener.name, deps) : null,
  };
}

function str(config: BrokerConfig, listener: string, key: string): string | null {
  const v = config.forListener(listener, key);
  return v === null ? null : Array.isArray(v) ? v.join(',') : String(v);
}

function list(config: BrokerConfig, listener: string, key: string): string[] {
  const v = config.forListener(listener, key);
  return Array.isArray(v) ? v : v === null ? [] : [String(v)];
}

function readFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(key, `Cannot read ${key} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Inline PEM (Kafka's form): line breaks may be folded away by the properties file; each block is re-wrapped. */
export function inlinePem(text: string): string {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    const label = m[1] as string;
    const body = (m[2] as string).replace(/\s+/g, '');
    out.push(`-----BEGIN ${label}-----`, ...(body.match(/.{1,64}/g) ?? []), `-----END ${label}-----`);
  }
  return out.length === 0 ? text : `${out.join('\n')}\n`;
}

const TLS_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** A listener's TLS settings as `config` gives them now (also used to load new key material at run time). */
export function tlsSettings(config: BrokerConfig, listener: string, securityProtocol: SecurityProtocol): TlsSettings {
  const where = `listener ${listener}`;
  const ksType = (str(config, listener, 'ssl.keystore.type') ?? 'JKS').toUpperCase();
  // An empty location counts as unset (a dynamic change from a file to inline PEM sets it to '').
  const location = str(config, listener, 'ssl.keystore.location') || null;
  const chain = str(config, listener, 'ssl.keystore.certificate.chain');
  const inlineKey = str(config, listener, 'ssl.keystore.key');
  const keyPassword = str(config, listener, 'ssl.key.password');
  const storePassword = str(config, listener, 'ssl.keystore.password');
  const opts: Parameters<typeof createSecureContext>[0] & object = {};
  if (location === null && chain === null) {
    throw new ConfigError('ssl.keystore.location', `${where} uses TLS and needs a key store: set ssl.keystore.type=PEM with ssl.keystore.location (a PEM file with the private key and certificate chain), or ssl.keystore.certificate.chain and ssl.keystore.key`);
  }
  if (ksType === 'PEM') {
    if (chain !== null || inlineKey !== null) {
      if (location !== null) throw new ConfigError('ssl.keystore.location', `${where}: set either ssl.keystore.location or ssl.keystore.certificate.chain/ssl.keystore.key, not both`);
      if (chain === null || inlineKey === null) throw new ConfigError('ssl.keystore.key', `${where}: ssl.keystore.certificate.chain and ssl.keystore.key go together`);
      opts.cert = inlinePem(chain);
      opts.key = inlinePem(inlineKey);
    } else {
      const pem = readFile('ssl.keystore.location', location as string);
      opts.cert = pem;
      opts.key = pem;
    }
    if (keyPassword !== null) opts.passphrase = keyPassword;
  } else if (ksType === 'PKCS12') {
    if (location === null) throw new ConfigError('ssl.keystore.location', `${where}: a PKCS12 key store needs ssl.keystore.location`);
    opts.pfx = readFile('ssl.keystore.location', location);
    if (storePassword !== null) opts.passphrase = storePassword;
  } else {
    throw new ConfigError('ssl.keystore.type', `${where}: ssl.keystore.type ${ksType} is not supported (Samsa reads PEM and PKCS12 key stores; convert a JKS store with keytool -importkeystore -deststoretype PKCS12, or use PEM)`);
  }
  const tsType = (str(config, listener, 'ssl.truststore.type') ?? 'JKS').toUpperCase();
  const tsLocation = str(config, listener, 'ssl.truststore.location') || null;
  const tsInline = str(config, listener, 'ssl.truststore.certificates');
  if (tsLocation !== null || tsInline !== null) {
    if (tsType !== 'PEM') {
      throw new ConfigError('ssl.truststore.type', `${where}: ssl.truststore.type ${tsType} is not supported (Samsa reads PEM trust stores: set ssl.truststore.type=PEM)`);
    }
    opts.ca = tsInline !== null ? inlinePem(tsInline) : readFile('ssl.truststore.location', tsLocation as string);
  }
  const versions = list(config, listener, 'ssl.enabled.protocols');
  const known = versions.filter((v): v is SecureVersion => (TLS_VERSIONS as readonly string[]).includes(v));
  if (known.length !== versions.length || known.length === 0) {
    throw new ConfigError('ssl.enabled.protocols', `${where}: ssl.enabled.protocols ${versions.join(',')} must name some of ${TLS_VERSIONS.join(', ')}`);
  }
  const order = (v: SecureVersion): number => TLS_VERSIONS.indexOf(v);
  known.sort((a, b) => order(a) - order(b));
  opts.minVersion = known[0] as SecureVersion;
  opts.maxVersion = known[known.length - 1] as SecureVersion;
  const suites = list(config, listener, 'ssl.cipher.suites');
  if (suites.length > 0) {
    // Node takes both in one list (TLS 1.3 suites by their IANA names).
    const { tls12, tls13 } = cipherLists(suites, where);
    opts.ciphers = [...tls13, ...tls12].join(':');
  }
  const protocol = str(config, listener, 'ssl.protocol') ?? 'TLSv1.3';
  if (!['TLS', 'TLSv1.2', 'TLSv1.3', 'TLSv1.1', 'TLSv1'].includes(protocol)) {
    throw new ConfigError('ssl.protocol', `${where}: ssl.protocol ${protocol} is not one of TLS, TLSv1.2, TLSv1.3`);
  }
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext(opts);
  } catch (e) {
    throw new ConfigError('ssl.keystore.location', `${where}: cannot load the TLS key material: ${e instanceof Error ? e.message : String(e)}`);
  }
  // KIP-684: on a SASL_SSL listener only a listener-prefixed ssl.client.auth applies (SASL authenticates).
  const clientAuthSet = securityProtocol !== SecurityProtocol.SASL_SSL || config.setForListener(listener, 'ssl.client.auth');
  const clientAuth = (clientAuthSet ? (str(config, listener, 'ssl.client.auth') ?? 'none') : 'none') as ClientAuth;
  return { secureContext, certificate: leafCertificate(opts.cert), clientAuth, principalRules: parsePrincipalMappingRules(str(config, listener, 'ssl.principal.mapping.rules') ?? 'DEFAULT') };
}

/** The first certificate of a PEM chain (null: none, or not PEM). */
function leafCertificate(cert: unknown): X509Certificate | null {
  const text = Buffer.isBuffer(cert) ? cert.toString('latin1') : typeof cert === 'string' ? cert : null;
  const m = text === null ? null : /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text);
  if (m === null) return null;
  try {
    return new X509Certificate(m[0]);
  } catch {
    return null;
  }
}

/** Splits ssl.cipher.suites into OpenSSL's TLS 1.2 names and TLS 1.3 suite names; refuses unknown ones. */
function cipherLists(suites: readonly string[], where: string): { tls12: string[]; tls13: string[] } {
  const available = new Set(getCiphers().map((c) => c.toUpperCase()));
  const tls12: string[] = [];
  const tls13: string[] = [];
  for (const s of suites) {
    if (/^TLS_(AES|CHACHA20)_/.test(s)) {
      tls13.push(s);
      continue;
    }
    const name = s.startsWith('TLS_') ? openSslName(s) : s;
    if (!available.has(name.toUpperCase())) throw new ConfigError('ssl.cipher.suites', `${where}: unknown cipher suite ${s}${name !== s ? ` (OpenSSL name ${name})` : ''}`);
    tls12.push(name);
  }
  return { tls12, tls13 };
}

/** An IANA TLS 1.2 suite name (as Java writes it) in OpenSSL's spelling, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 → ECDHE-RSA-AES128-GCM-SHA256. */
export function openSslName(iana: string): string {
  const m = /^TLS_(.+)_WITH_(.+)$/.exec(iana);
  if (m === null) return iana;
  const kx = (m[1] as string).replace(/^RSA$/, '').replace(/_/g, '-');
  let cipher = (m[2] as string)
    .replace(/^AES_(\d+)_/, 'AES$1-')
    .replace(/^CHACHA20_POLY1305_SHA256$/, 'CHACHA20-POLY1305')
    .replace(/_/g, '-');
  if (/CBC-SHA$/.test(cipher)) cipher = cipher.replace('CBC-SHA', 'SHA');
  cipher = cipher.replace('-CBC-', '-');
  return kx === '' ? cipher : `${kx}-${cipher}`;
}

function saslSettings(config: BrokerConfig, listener: string, deps: SecurityDeps): SaslSettings {
  const where = `listener ${listener}`;
  const enabled = list(config, listener, 'sasl.enabled.mechanisms').map((m) => m.toUpperCase());
  const unsupported = enabled.filter((m) => !MECHANISMS.includes(m));
  if (unsupported.length > 0 || enabled.length === 0) {
    throw new ConfigError('sasl.enabled.mechanisms', `${where} uses SASL with sasl.enabled.mechanisms=${enabled.join(',')}: ${unsupported.length > 0 ? `${unsupported.join(', ')} not supported` : 'none enabled'} (Samsa serves ${MECHANISMS.join(', ')}; set sasl.enabled.mechanisms or listener.name.${listener.toLowerCase()}.sasl.enabled.mechanisms)`);
  }
  let plainUsers = new Map<string, string>();
  if (enabled.includes(SaslMechanism.PLAIN)) {
    const key = `listener.name.${listener.toLowerCase()}.plain.sasl.jaas.config`;
    const jaas = config.jaasConfig(listener, SaslMechanism.PLAIN);
    if (jaas === null) throw new ConfigError(key, `${where} enables PLAIN and needs its users: set ${key}=org.apache.kafka.common.security.plain.PlainLoginModule required user_<name>="<password>";`);
    plainUsers = plainUsersOf(parseJaasConfig(key, jaas), key);
  }
  for (const m of enabled) {
    const jaas = config.jaasConfig(listener, m);
    if (jaas !== null && m !== SaslMechanism.PLAIN && m !== SaslMechanism.OAUTHBEARER) parseJaasConfig(`listener.name.${listener.toLowerCase()}.${m.toLowerCase()}.sasl.jaas.config`, jaas);
  }
  const maxReauthMs = new Map<string, number>();
  for (const m of enabled) maxReauthMs.set(m, Number(config.forMechanism(listener, m, 'connections.max.reauth.ms') ?? 0));
  return {
    mechanisms: enabled as SaslMechanism[],
    plainUsers,
    oauth: enabled.includes(SaslMechanism.OAUTHBEARER) ? oauthValidator(config, listener, deps) : null,
    maxReauthMs,
    maxReceiveSize: Number(config.forListener(listener, 'sasl.server.max.receive.size')),
    failedAuthDelayMs: Number(config.forListener(listener, 'connection.failed.authentication.delay.ms')),
  };
}
