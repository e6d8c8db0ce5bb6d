/**
 * The native socket addon (native/crc32c/zero-copy.c, Linux only): loaded once per process for
 * every user (zero-copy-send.ts: `send`; prompt-ack.ts: `quickAck`), and the descriptor of the TCP
 * socket under a Node socket that its functions take. Without the addon (not Linux, or not built)
 * `socketAddon` is null and its users keep Node's own behaviour.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** What the addon exports (a function may be missing from an addon built by an older Samsa). */
export interface SocketAddon {
  send?: unknown;
  quickAck?: unknown;
}

/** Where the addon is built, relative to this file's compiled location (dist/src/network). */
const ADDON = '../../../native/crc32c/build/Release/samsa_zero_copy.node';

function loadSocketAddon(): SocketAddon | null {
  if (process.platform !== 'linux') return null;
  try {
    const m = createRequire(import.meta.url)(ADDON) as SocketAddon & { supported?: unknown };
    return m.supported === true ? m : null;
  } catch {
    return null;
  }
}

/** The loaded addon, or null. */
export const socketAddon: SocketAddon | null = loadSocketAddon();

/** The descriptor of `socket`'s handle (a TLSSocket's forwards its TCP handle's), or -1. */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}
