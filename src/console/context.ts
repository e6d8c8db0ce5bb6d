/**
 * What every console route uses: the cluster client (client/cluster-client.ts: a connection per
 * broker, cached metadata), one GroupAdmin over it (re-made when its connection breaks), and the
 * optional services the pages appear for (Samsa metrics endpoints, the schema registry with its
 * client and record decoder, Kafka Connect's REST API).
 */
import { OffsetSpec } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { ClientConnectionError, type KafkaConnection } from '../client/connection.js';
import { GroupAdmin } from '../client/group-admin.js';
import { offsetsAt } from '../client/partition-offsets.js';
import { ConnectClient } from './connect-client.js';
import { RegistryClient } from './registry-client.js';
import { SchemaDecoder } from './schema-decoder.js';

export interface ConsoleServices {
  /** Samsa metrics endpoints (…/metrics, comma separated), or null. */
  metricsUrl: string | null;
  /** The schema registry's URL (a promise: a broker's embedded registry is known once it listens), or null: page hidden. */
  schemaRegistryUrl: string | Promise<string> | null;
  /** `user:password` for the schema registry's HTTP basic authentication (null: the URL's user info, or none). */
  schemaRegistryUserInfo?: string | null;
  /** Kafka Connect's REST URL (null: pages hidden). */
  connectUrl: string | null;
}

export class ConsoleContext {
  private groupAdmin: GroupAdmin | null = null;
  /** The schema registry's client and the decoder of wire-format records (null: no registry). */
  readonly registry: RegistryClient | null;
  readonly decoder: SchemaDecoder | null;
  /** Kafka Connect's client (null: no Connect). */
  readonly connect: ConnectClient | null;

  constructor(
    readonly cluster: ClusterClient,
    readonly services: ConsoleServices,
  ) {
    const url = services.schemaRegistryUrl;
    if (url !== null) {
      // A registry that failed to start rejects every look-up (503), not the console's start.
      if (typeof url !== 'string') url.catch(() => undefined);
      this.registry = new RegistryClient(() => Promise.resolve(url), services.schemaRegistryUserInfo ?? null);
      this.decoder = new SchemaDecoder(this.registry);
    } else {
      this.registry = null;
      this.decoder = null;
    }
    this.connect = services.connectUrl === null ? null : new ConnectClient(services.connectUrl);
  }

  /** Runs `fn` on a bootstrap broker; a connection that broke meanwhile is replaced once. */
  async any<T>(fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    const first = await this.cluster.any();
    try {
      return await fn(first);
    } catch (e) {
      if (!(e instanceof ClientConnectionError) || !first.client.closed) throw e;
      return fn(await this.cluster.any());
    }
  }

  /** The group admin over a live connection. */
  async groups(): Promise<GroupAdmin> {
    if (this.groupAdmin !== null && !this.groupAdmin.bootstrap.client.closed) return this.groupAdmin;
    this.groupAdmin?.close();
    this.groupAdmin = new GroupAdmin(await this.cluster.any());
    return this.groupAdmin;
  }

  /** Log end offsets asked of each partition's leader. */
  readonly endOffsets = (ps: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>> => offsetsAt(this.cluster, ps, OffsetSpec.LATEST);

  /** ListOffsets at a time or spec, of each partition's leader. */
  readonly offsetsAt = (ps: readonly { topic: string; partition: number }[], ts: bigint): Promise<Map<string, bigint>> => offsetsAt(this.cluster, ps, ts);

  close(): void {
    this.groupAdmin?.close();
    this.groupAdmin = null;
    this.cluster.close();
  }
}
