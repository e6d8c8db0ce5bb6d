/**
 * Test certificates made with `openssl` in a temp directory: a CA, a server certificate for
 * 127.0.0.1/localhost (server.pem holds its key and chain, Kafka's PEM key store form), client
 * certificates signed by the CA, and a second, untrusted CA with a client of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  readonly dir: string;
  /** The trusted CA certificate (PEM file). */
  readonly caFile: string;
  /** Key + certificate of the broker (PEM file, Kafka's PEM key store). */
  readonly serverPem: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** A client `subject` signed by the CA: its key and certificate files. */
  client(name: string): { keyFile: string; certFile: string; subject: string };
  /** A client signed by an untrusted CA. */
  readonly rogue: { keyFile: string; certFile: string };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

function signed(dir: string, ca: string, name: string, subject: string, ext: string | null): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'];
  if (ext !== null) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(args, dir);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-certs-'));
  makeCa(dir, 'ca');
  signed(dir, 'ca', 'server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  writeFileSync(join(dir, 'server.pem'), readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  makeCa(dir, 'rogue-ca');
  signed(dir, 'rogue-ca', 'rogue', '/O=Samsa/OU=eng/CN=mallory', null);
  const made = new Set<string>();
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverPem: join(dir, 'server.pem'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    client(name: string) {
      const subject = `/O=Samsa/OU=eng/CN=${name}`;
      if (!made.has(name)) {
        signed(dir, 'ca', `client-${name}`, subject, null);
        made.add(name);
      }
      return { keyFile: join(dir, `client-${name}.key`), certFile: join(dir, `client-${name}.crt`), subject };
    },
    rogue: { keyFile: join(dir, 'rogue.key'), certFile: join(dir, 'rogue.crt') },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
