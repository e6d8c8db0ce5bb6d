/**
 * The null broker's SSL listener (`--ssl-port N --ssl-keystore FILE`): a same-run floor for the
 * TLS ÷ PLAINTEXT ratios of issue 22, target 5. It does what Samsa's SSL listener does and no more:
 * - the secure context comes from Samsa's own code (src/config/listener-security.ts tlsSettings)
 *   for a listener given only `ssl.keystore.type=PEM` and `ssl.keystore.location`, so the TLS
 *   versions (Samsa's default ssl.enabled.protocols TLSv1.2,TLSv1.3), the cipher list (Node's
 *   default, as Samsa's default empty ssl.cipher.suites leaves it) and the key are Samsa's, and
 *   the client negotiates the same suite (the null broker logs each suite it negotiates);
 * - the handshake wraps the accepted socket in a server-side TLSSocket as src/network/server.ts
 *   does (no client certificate requested);
 * - decrypted bytes go into the frame reader as Samsa's connections read them
 *   (src/network/tls-user-buffer.ts user-buffer mode through TlsFrameInput, or copied from
 *   'data' chunks where this Node does not allow it).
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { SecurityProtocol } from '../src/common/security-protocol.js';
import { BrokerConfig } from '../src/config/broker-config.js';
import { tlsSettings } from '../src/config/listener-security.js';
import { CopiedInput } from '../src/network/copied-input.js';
import type { FrameReader } from '../src/network/frame-reader.js';
import { TlsFrameInput } from '../src/network/tls-frame-input.js';
import { readTlsInto } from '../src/network/tls-user-buffer.js';

/** The secure context Samsa builds for an SSL listener with this PEM key store and default settings. */
export function samsaSecureContext(keystorePem: string): SecureContext {
  const config = new BrokerConfig(
    new Map([
      ['listeners', 'SSL://127.0.0.1:0'],
      ['ssl.keystore.type', 'PEM'],
      ['ssl.keystore.location', keystorePem],
    ]),
  );
  return tlsSettings(config, 'SSL', SecurityProtocol.SSL).secureContext;
}

/** The negotiated protocol version and suite of a secure socket, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384". */
export function suiteOf(t: TLSSocket): string {
  const c = t.getCipher();
  return `${t.getProtocol() ?? c.version} ${c.standardName ?? c.name}`;
}

/** Runs the server side of the handshake on `socket`; `open` gets the secure socket (errors destroy it). */
export function tlsHandshake(socket: Socket, secureContext: SecureContext, open: (t: TLSSocket) => void): TLSSocket {
  const t = new TLSSocket(socket, { isServer: true, secureContext, requestCert: false, rejectUnauthorized: false });
  t.on('error', () => t.destroy());
  t.once('secure', () => open(t));
  return t;
}

/** Feeds a secure socket's decrypted bytes to `reader` as Samsa's connections do; says which way. */
export function readTlsFrames(t: TLSSocket, reader: FrameReader): 'user-buffer' | 'data' {
  let closed = false;
  t.once('close', () => (closed = true));
  const copied = new CopiedInput(reader);
  const input = new TlsFrameInput(reader, copied, { closed: () => closed, hold: () => t.pause() });
  if (readTlsInto(t, input)) return 'user-buffer';
  t.on('data', (chunk: Buffer) => {
    if (closed) return;
    copied.push(chunk);
    if (copied.hasPending) t.pause();
  });
  return 'data';
}
