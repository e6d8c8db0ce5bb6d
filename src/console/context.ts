/**
 * What every console route uses: the cluster client (a connection per broker), one GroupAdmin
 * over it (re-made when its bootstrap connection breaks), and the optional services the pages
 * appear for (Samsa metrics endpoint; schema registry and Connect later).
 */
import { ClusterClient } from '../client/cluster-client.js';
import { GroupAdmin } from '../client/group-admin.js';
import { OffsetSpec } from '../client/admin.js';

export interface ConsoleServices {
  /** Base URL of a Samsa metrics endpoint (…/metrics), or null. */
  metricsUrl: string | null;
  /** Hooks for later pages: the schema registry and Kafka Connect URLs (null: page hidden). */
  schemaRegistryUrl: string | null;
  connectUrl: string | null;
}

export class ConsoleContext {
  private groupAdmin: GroupAdmin | null = null;

  constructor(
    readonly cluster: ClusterClient,
    readonly services: ConsoleServices,
  ) {}

  /** The group admin over a live connection. */
  async groups(): Promise<GroupAdmin> {
    if (this.groupAdmin !== null && !this.groupAdmin.bootstrap.client.closed) return this.groupAdmin;
    this.groupAdmin?.close();
    this.groupAdmin = new GroupAdmin(await this.cluster.any());
    return this.groupAdmin;
  }

  /** Log end offsets asked of each partition's leader. */
  readonly endOffsets = (ps: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>> => this.cluster.offsetsAt(ps, OffsetSpec.LATEST);

  close(): void {
    this.groupAdmin?.close();
    this.groupAdmin = null;
    this.cluster.close();
  }
}
