/**
 * SCRAM credentials in etcd: `<prefix>/config/user-credentials/<user>` (Kafka's ZooKeeper kept them
 * in /config/users/<user> beside the user's quotas; Samsa keeps quotas there and credentials in a
 * key of their own; the user name URI-encoded, it may hold '/') holds
 * `{version: 1, credentials: {<mechanism>: {salt, storedKey, serverKey, iterations}}}`: salted,
 * never a password. Decoding checks the shape (the value is written by other processes).
 */
import type { ScramCredentialImage } from '../../metadata/image.js';
import { EtcdValueError } from './keys.js';

export function decodeScramUser(key: string, raw: string): Map<string, ScramCredentialImage> {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    throw new EtcdValueError(key, 'not JSON');
  }
  const creds = typeof o === 'object' && o !== null ? (o as { credentials?: unknown }).credentials : undefined;
  if (typeof creds !== 'object' || creds === null || Array.isArray(creds)) throw new EtcdValueError(key, 'credentials is not an object');
  const out = new Map<string, ScramCredentialImage>();
  for (const [mechanism, c] of Object.entries(creds as Record<string, unknown>)) {
    const v = c as Partial<ScramCredentialImage> | null;
    if (v === null || typeof v.salt !== 'string' || typeof v.storedKey !== 'string' || typeof v.serverKey !== 'string' || typeof v.iterations !== 'number') {
      throw new EtcdValueError(key, `credential ${mechanism} is malformed`);
    }
    out.set(mechanism, Object.freeze({ salt: v.salt, storedKey: v.storedKey, serverKey: v.serverKey, iterations: v.iterations }));
  }
  return out;
}

export function encodeScramUser(credentials: ReadonlyMap<string, ScramCredentialImage>): string {
  return JSON.stringify({ version: 1, credentials: Object.fromEntries(credentials) });
}
