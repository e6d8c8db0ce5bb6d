/**
 * `--command-config FILE`: Kafka's client properties file (what kafka-topics.sh and the other
 * Kafka tools take), read once here for every client command: the CLI's own protocol connections
 * (src/client, ClientSecurity) and @platformatic/kafka's producers, consumers and admin alike.
 *
 * Kafka's client settings read:
 * - `security.protocol` PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL;
 * - `sasl.mechanism` PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (Kafka's default GSSAPI is refused), with
 *   `sasl.jaas.config` = `...PlainLoginModule required username="..." password="...";` (or
 *   ScramLoginModule); librdkafka's `sasl.username` / `sasl.password` are taken too;
 * - `ssl.truststore.type=PEM` with `ssl.truststore.location` (a PEM file) or
 *   `ssl.truststore.certificates` (inline PEM); without either, the system CAs;
 * - for mTLS `ssl.keystore.type` PEM (`ssl.keystore.location`: a PEM file with key and
 *   certificate chain, or inline `ssl.keystore.certificate.chain` + `ssl.keystore.key`) or PKCS12
 *   (`ssl.keystore.location` + `ssl.keystore.password`), `ssl.key.password`;
 * - `ssl.endpoint.identification.algorithm` https (default) or empty (no host name check).
 * Samsa's deviations: JKS stores are refused (convert them to PEM or PKCS12); settings the CLI has
 * no use for (timeouts, client.id, ...) are ignored, as Kafka's tools ignore unknown ones.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ClientSaslMechanism, ClientSaslOptions, ClientSecurity, ClientTlsOptions } from '../client/client-security.js';
import { CLIENT_SASL_MECHANISMS } from '../client/client-security.js';
import { parseJaasConfig } from '../auth/jaas.js';
import { parseProperties } from '../config/properties-file.js';
import { inlinePem } from '../config/listener-security.js';
import { CliError } from './output.js';

/** The file's security, in the two forms the CLI's clients take. */
export interface CommandConfig {
  /** For src/client connections; undefined for PLAINTEXT. */
  readonly security: ClientSecurity | undefined;
  /** For @platformatic/kafka's clients (its `tls` and `sasl` options). */
  readonly library: { tls?: TlsConnectionOptions; sasl?: { mechanism: ClientSaslMechanism; username: string; password: string } };
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

function fail(file: string, key: string, why: string): never {
  throw new CliError(`Invalid ${key} in --command-config ${file}: ${why}`);
}

function readPem(file: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    return fail(file, key, `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads a client properties file; throws CliError naming the file and setting at fault. */
export function readCommandConfig(file: string): CommandConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read --command-config ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return commandConfigOf(parseProperties(text), file);
}

/** The security of already parsed client properties (`file` names them in messages). */
export function commandConfigOf(props: ReadonlyMap<string, string>, file: string): CommandConfig {
  const get = (k: string): string | undefined => {
    const v = props.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) fail(file, 'security.protocol', `${protocol} (one of ${PROTOCOLS.join(', ')})`);
  if (protocol === 'PLAINTEXT') return { security: undefined, library: {} };
  const security: { tls?: ClientTlsOptions; sasl?: ClientSaslOptions } = {};
  const library: { tls?: TlsConnectionOptions; sasl?: { mechanism: ClientSaslMechanism; username: string; password: string } } = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; pfx?: Buffer; passphrase?: string; verifyHostname?: boolean } = {};
    const tsType = (get('ssl.truststore.type') ?? 'JKS').toUpperCase();
    const tsLocation = get('ssl.truststore.location');
    const tsInline = get('ssl.truststore.certificates');
    if (tsLocation !== undefined || tsInline !== undefined) {
      if (tsType !== 'PEM') fail(file, 'ssl.truststore.type', `${tsType} is not supported (set ssl.truststore.type=PEM with a PEM file or inline certificates)`);
      tls.ca = tsInline !== undefined ? inlinePem(tsInline) : readPem(file, 'ssl.truststore.location', tsLocation as string);
    }
    const ksType = (get('ssl.keystore.type') ?? 'JKS').toUpperCase();
    const ksLocation = get('ssl.keystore.location');
    const chain = get('ssl.keystore.certificate.chain');
    const inlineKey = get('ssl.keystore.key');
    const keyPassword = get('ssl.key.password');
    if (ksLocation !== undefined || chain !== undefined || inlineKey !== undefined) {
      if (ksType === 'PEM') {
        if (chain !== undefined || inlineKey !== undefined) {
          if (chain === undefined || inlineKey === undefined) fail(file, 'ssl.keystore.key', 'ssl.keystore.certificate.chain and ssl.keystore.key go together');
          tls.cert = inlinePem(chain);
          tls.key = inlinePem(inlineKey);
        } else {
          const pem = readPem(file, 'ssl.keystore.location', ksLocation as string);
          tls.cert = pem;
          tls.key = pem;
        }
        if (keyPassword !== undefined) tls.passphrase = keyPassword;
      } else if (ksType === 'PKCS12') {
        if (ksLocation === undefined) fail(file, 'ssl.keystore.location', 'a PKCS12 key store needs ssl.keystore.location');
        tls.pfx = readPem(file, 'ssl.keystore.location', ksLocation);
        const storePassword = get('ssl.keystore.password');
        if (storePassword !== undefined) tls.passphrase = storePassword;
      } else {
        fail(file, 'ssl.keystore.type', `${ksType} is not supported (PEM or PKCS12; convert a JKS store with keytool -importkeystore -deststoretype PKCS12)`);
      }
    }
    const algorithm = (props.get('ssl.endpoint.identification.algorithm') ?? 'https').trim().toLowerCase();
    if (algorithm !== '' && algorithm !== 'https') fail(file, 'ssl.endpoint.identification.algorithm', `${algorithm} (https, or empty to turn host name verification off)`);
    tls.verifyHostname = algorithm === 'https';
    security.tls = tls;
    const { verifyHostname, ...rest } = tls;
    library.tls = { ...rest, ...(verifyHostname ? {} : { checkServerIdentity: () => undefined }) };
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    if (!(CLIENT_SASL_MECHANISMS as readonly string[]).includes(mechanism)) fail(file, 'sasl.mechanism', `${mechanism} is not supported by Samsa's CLI (set sasl.mechanism to one of ${CLIENT_SASL_MECHANISMS.join(', ')})`);
    let username = get('sasl.username');
    let password = get('sasl.password');
    const jaas = get('sasl.jaas.config');
    if (jaas !== undefined) {
      let entries;
      try {
        entries = parseJaasConfig('sasl.jaas.config', jaas);
      } catch (e) {
        return fail(file, 'sasl.jaas.config', e instanceof Error ? e.message : String(e));
      }
      const entry = entries.find((e) => e.options.has('username'));
      username = entry?.options.get('username') ?? username;
      password = entry?.options.get('password') ?? password;
    }
    if (username === undefined || password === undefined) {
      fail(file, 'sasl.jaas.config', `${protocol} with ${mechanism} needs the user's credentials: sasl.jaas.config=org.apache.kafka.common.security.${mechanism === 'PLAIN' ? 'plain.PlainLoginModule' : 'scram.ScramLoginModule'} required username="..." password="...";`);
    }
    const sasl = { mechanism: mechanism as ClientSaslMechanism, username, password };
    security.sasl = sasl;
    library.sasl = sasl;
  }
  return { security, library };
}
