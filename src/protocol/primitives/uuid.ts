/**
 * Kafka UUIDs in their textual form: the 16 raw bytes as URL-safe base64 without padding (22 chars).
 */
import { randomBytes } from 'node:crypto';

/** The all-zero UUID (Kafka's Uuid.ZERO_UUID). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const UUID_RE = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** Renders 16 bytes starting at `offset` as a Kafka UUID string. */
export function uuidFromBytes(buf: Buffer, offset = 0): string {
  return buf.toString('base64url', offset, offset + 16);
}

/** Parses a Kafka UUID string into 16 bytes; throws on malformed input. */
export function uuidToBytes(uuid: string): Buffer {
  if (uuid.length !== 22 || !UUID_RE.test(uuid)) throw new TypeError(`invalid Kafka UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(uuid, 'base64url');
}

/**
 * A random (version 4) UUID, never ZERO_UUID nor Kafka's reserved METADATA_TOPIC_ID (1), and, like
 * Kafka's Uuid.randomUuid(), never starting with '-' when rendered.
 */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = ((b[6] as number) & 0x0f) | 0x40;
    b[8] = ((b[8] as number) & 0x3f) | 0x80;
    const s = b.toString('base64url');
    if (s !== ZERO_UUID && s !== 'AAAAAAAAAAAAAAAAAAAAAQ' && !s.startsWith('-')) return s;
  }
}

/** Standard 8-4-4-4-12 hex form of a Kafka UUID string (for logs / interop). */
export function uuidToHex(uuid: string): string {
  const h = uuidToBytes(uuid).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Kafka UUID string from the standard hex form (dashes optional). */
export function uuidFromHex(hex: string): string {
  const h = hex.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new TypeError(`invalid UUID hex: ${JSON.stringify(hex)}`);
  return Buffer.from(h, 'hex').toString('base64url');
}
