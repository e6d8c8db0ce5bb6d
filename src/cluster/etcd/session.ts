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

  constructor(options: EtcdSessionOptions) {
    const hosts = (typeof options.endpoints === 'string' ? options.endpoints.split(',') : [...options.endpoints]).map((h) => h.trim()).filter((h) => h !== '');
    if (hosts.length === 0) throw new Error('etcd.endpoints is empty');
    this.keys = new EtcdKeys(normalizePrefix(options.prefix ?? DEFAULT_ETCD_PREFIX));
    this.client = new Etcd3({ hosts });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the client without revoking anything: leases this session kept alive expire after their TTL. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
