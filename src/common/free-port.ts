/**
 * A TCP port on 127.0.0.1 that is free now: the OS picks it (listen on port 0) and it is released
 * at once, for a program that must be told its port in advance (etcd, Prometheus, a cluster
 * script). Another process may take it before it is used; callers that start several such
 * programs check the ports they got are distinct.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
