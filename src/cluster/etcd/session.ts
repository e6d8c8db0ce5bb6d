/**
 * A connection to etcd for one cluster: the etcd3 client and the key layout under the cluster's
 * prefix (keys.ts). Only src/cluster/etcd/ touches the etcd3 client; the rest of Samsa sees the
 * MetadataStore interface, a BrokerRegistration and a ControllerLeadership.
 */
import { Etcd3 } from 'etcd3';
import { EtcdKeys, normalizePrefix } from './keys.js';

export const DEFAULT_ETCD_PREFIX = '/samsa';

export interface EtcdSessionOptions {
  /** etcd client URLs, as a list or comma-separated (etcd.endpoints). */
  readonly endpoints: readonly string[] | string;
  /** Key prefix of this cluster (etcd.prefix), default /samsa. */
  readonly prefix?: string;
}

export class EtcdSession {
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];

  constructor(options: EtcdSessionOptions) {
    const hosts = (typeof options.endpoints === 'string' ? options.endpoints.split(',') : [...options.endpoints]).map((h) => h.trim()).filter((h) => h !== '');
    if (hosts.length === 0) throw new Error('etcd.endpoints is empty');
    this.keys = new EtcdKeys(normalizePrefix(options.prefix ?? DEFAULT_ETCD_PREFIX));
    this.client = new Etcd3({ hosts });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `hook` when the session closes (stops the keep-alive timers of a lease, say). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /**
   * Closes the client. Registrations stop their keep-alives without revoking (they expire after
   * their TTL, as after a crash); a controller candidate resigns. The etcd3 client's own close()
   * leaves keep-alive streams running, hence the hooks.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHooks) {
      try {
        h();
      } catch {
        // closing anyway
      }
    }
    this.client.close();
  }
}
