/**
 * A plain TCP connection to a broker for the connection-limit tests, with whether the broker
 * closed it: they count and close sockets without speaking the protocol.
 */
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  socket: Socket;
  /** Whether the socket has closed (by either side). */
  closed: () => boolean;
}

/** Connects to 127.0.0.1:`port`; socket errors after the connection are ignored (a close is what the tests watch). */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve({ socket, closed: () => closed }));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}
