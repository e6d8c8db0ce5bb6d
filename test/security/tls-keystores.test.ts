/**
 * The forms of TLS key material Kafka accepts, each serving a TLS client: a PEM file (key and
 * chain), inline PEM written as Kafka's properties files do (`\` continuations fold the line
 * breaks away), an encrypted PEM key with ssl.key.password, and a PKCS12 store with its password;
 * and the protocol and cipher settings (ssl.enabled.protocols, ssl.cipher.suites in Java's IANA
 * names) deciding what the handshake negotiates.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { startBroker } from '../../src/index.js';
import { parseProperties } from '../../src/config/properties-file.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { WireClient } from '../helpers/wire.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.remove());

/** A TLS handshake with the broker's SSL listener, then ApiVersions v0: the negotiated protocol and cipher, and whether it answered. */
async function probe(config: Record<string, string>, client: { maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string } = {}): Promise<{ protocol: string | null; cipher: string; answered: boolean }> {
  const broker = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', ...config } });
  try {
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caFile), servername: 'localhost', ...(client.maxVersion ? { maxVersion: client.maxVersion } : {}), ...(client.ciphers ? { ciphers: client.ciphers } : {}) }, () => resolve(s));
      s.once('error', reject);
    });
    try {
      const frame = WireClient.encodeRequest(18, 0, {}, 7);
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        socket.once('data', (d: Buffer) => {
          clearTimeout(timer);
          resolve(d.length >= 8 && d.readInt32BE(4) === 7);
        });
        socket.write(frame);
      });
      return { protocol: socket.getProtocol(), cipher: socket.getCipher().standardName, answered };
    } finally {
      socket.destroy();
    }
  } finally {
    await broker.stop();
  }
}

test('PEM file, inline PEM from a properties file, encrypted key, PKCS12: each serves TLS', { timeout: 120_000 }, async () => {
  assert.equal((await probe({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem })).answered, true, 'PEM file');

  const fold = (pem: string): string => pem.trim().split('\n').join(' \\\n    ');
  const props = parseProperties(`ssl.keystore.type=PEM\nssl.keystore.certificate.chain=${fold(readFileSync(certs.serverCertFile, 'utf8'))}\nssl.keystore.key=${fold(readFileSync(certs.serverKeyFile, 'utf8'))}\n`);
  assert.equal((await probe(Object.fromEntries(props))).answered, true, 'inline PEM (Kafka properties form)');

  const encrypted = join(certs.dir, 'server-enc.pem');
  execFileSync('openssl', ['pkcs8', '-topk8', '-in', certs.serverKeyFile, '-out', encrypted, '-passout', 'pass:key-pw', '-v2', 'aes-256-cbc'], { stdio: 'ignore' });
  const encPem = join(certs.dir, 'server-enc-chain.pem');
  execFileSync('sh', ['-c', `cat '${encrypted}' '${certs.serverCertFile}' > '${encPem}'`]);
  assert.equal((await probe({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': encPem, 'ssl.key.password': 'key-pw' })).answered, true, 'encrypted PEM key');
  await assert.rejects(probe({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': encPem, 'ssl.key.password': 'wrong' }), /cannot load the TLS key material/);

  const p12 = join(certs.dir, 'server.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', certs.serverCertFile, '-inkey', certs.serverKeyFile, '-out', p12, '-passout', 'pass:store-pw'], { stdio: 'ignore' });
  assert.equal((await probe({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': p12, 'ssl.keystore.password': 'store-pw' })).answered, true, 'PKCS12');
});

test('ssl.enabled.protocols and ssl.cipher.suites (IANA names) decide the handshake', { timeout: 120_000 }, async () => {
  const pem = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem };
  const tls12 = await probe({ ...pem, 'ssl.enabled.protocols': 'TLSv1.2', 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' });
  assert.deepEqual([tls12.protocol, tls12.cipher, tls12.answered], ['TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', true]);
  const tls13 = await probe({ ...pem, 'ssl.enabled.protocols': 'TLSv1.3', 'ssl.cipher.suites': 'TLS_CHACHA20_POLY1305_SHA256' });
  assert.deepEqual([tls13.protocol, tls13.cipher], ['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256']);
  await assert.rejects(probe({ ...pem, 'ssl.enabled.protocols': 'TLSv1.3' }, { maxVersion: 'TLSv1.2' }), /protocol|version|alert/i, 'a TLS 1.2 client refused by a TLS 1.3-only listener');
  await assert.rejects(probe({ ...pem, 'ssl.cipher.suites': 'TLS_NOT_A_SUITE_WITH_NOTHING' }), /unknown cipher suite TLS_NOT_A_SUITE_WITH_NOTHING/);
});
