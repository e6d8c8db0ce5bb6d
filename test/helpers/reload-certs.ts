/**
 * Certificates for the certificate-reload tests, made with `openssl` in a temp directory: two CAs,
 * a broker certificate from each with the same subject (CN=localhost) and subject alternative
 * names, one from CA2 with another subject, a key store whose key does not match its certificate,
 * and a client certificate from each CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReloadCerts {
  readonly dir: string;
  readonly ca1: string;
  readonly ca2: string;
  /** PEM key stores (key + certificate). */
  readonly server1: string;
  readonly server2: string;
  readonly otherSubject: string;
  readonly mismatched: string;
  /** CA2's broker certificate and key as text (inline PEM). */
  readonly server2Chain: string;
  readonly server2Key: string;
  readonly client1: { cert: string; key: string };
  readonly client2: { cert: string; key: string };
  remove(): void;
}

export function makeReloadCerts(): ReloadCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-reload-certs-'));
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name: string): void => openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
  const signed = (issuer: string, name: string, subject: string, san: boolean): void => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'];
    if (san) {
      writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
      args.push('-extfile', `${name}.ext`);
    }
    openssl(args);
  };
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const pem = (name: string, key: string, cert: string): string => {
    writeFileSync(join(dir, name), read(key) + read(cert));
    return join(dir, name);
  };
  ca('ca1');
  ca('ca2');
  signed('ca1', 'server1', '/CN=localhost', true);
  signed('ca2', 'server2', '/CN=localhost', true);
  signed('ca2', 'other', '/CN=other-host', true);
  signed('ca1', 'client1', '/O=Samsa/CN=alice', false);
  signed('ca2', 'client2', '/O=Samsa/CN=bob', false);
  return {
    dir,
    ca1: join(dir, 'ca1.crt'),
    ca2: join(dir, 'ca2.crt'),
    server1: pem('server1.pem', 'server1.key', 'server1.crt'),
    server2: pem('server2.pem', 'server2.key', 'server2.crt'),
    otherSubject: pem('other.pem', 'other.key', 'other.crt'),
    mismatched: pem('mismatched.pem', 'server1.key', 'server2.crt'),
    server2Chain: read('server2.crt'),
    server2Key: read('server2.key'),
    client1: { cert: read('client1.crt'), key: read('client1.key') },
    client2: { cert: read('client2.crt'), key: read('client2.key') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
