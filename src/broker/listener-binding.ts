/**
 * Binding the broker's listeners (Kafka's SocketServer acceptors): one KafkaServer per entry of
 * `listeners`, each with its security protocol (auth/secured-listener.ts), and the address clients
 * are told to use. Kafka's rules kept: advertised.listeners overrides the bound address per
 * listener name, max.connections and max.connection.creation.rate are broker-wide (shared by the
 * listeners) and read at each accept, as dynamic broker configs are; each listener also has
 * its own listener.name.<l>.max.connections and listener.name.<l>.max.connection.creation.rate
 * (static or dynamic), and the connection_creation_rate quotas of ip entities apply on every
 * listener (one rate per address, shared by the listeners). With several listeners, the
 * inter-broker one (inter.broker.listener.name, security.inter.broker.protocol, else the first) is not held back by the
 * broker-wide limits (Kafka's protected listener), so replication still connects. Samsa's deviations: a listener
 * with no advertised entry and a wildcard host advertises `localhost`, and port 0 advertises the
 * port actually bound (tests bind free ports).
 */
import { interBrokerListenerName } from '../config/inter-broker-security.js';
import { newAuthenticationCounts } from '../network/authentication-counts.js';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import type { Clock } from '../common/clock.js';
import type { Scheduler } from '../common/scheduler.js';
import type { Logger } from '../common/logger.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { MetadataStore } from '../metadata/store.js';
import type { RequestBudget } from '../network/request-budget.js';
import type { FrameDispatcher } from '../network/connection.js';
import { KafkaServer } from '../network/server.js';
import { livePerIpOverrides } from '../network/per-ip-overrides.js';
import { ConnectionRateLimiter } from '../network/connection-rate.js';
import { IpConnectionRates } from '../network/ip-connection-rate.js';
import { entityKey, QuotaKey } from './quotas/quota-entity.js';
import type { MetadataImage } from '../metadata/image.js';
import { securedListener } from '../auth/secured-listener.js';
import type { ZeroCopyStats } from '../network/zero-copy-send.js';
import type { ScramCredentialSource } from '../auth/sasl/scram.js';

export interface BoundListener extends Listener {
  /** Host and port clients are told to use (advertised.listeners, else the bound address). */
  advertisedHost: string;
  advertisedPort: number;
}

export interface ListenerBindingDeps {
  /** Each bound server is pushed here as soon as it listens (the broker closes them on stop). */
  servers: KafkaServer[];
  /** Each bound listener is pushed here, in the order of `listeners`. */
  listeners: BoundListener[];
  budget: RequestBudget;
  framePool: BufferPool;
  scram: ScramCredentialSource;
  nextConnectionId: () => number;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  /** The broker's zero-copy send counters, shared by its listeners. */
  zeroCopyStats?: ZeroCopyStats;
  /** The current metadata image (its ip quota entities), once the broker has opened its metadata. */
  image?: () => MetadataImage | undefined;
}

/** An address's connection_creation_rate: its ip entity's, else the default ip entity's (undefined: unlimited). */
export function ipConnectionQuota(image: MetadataImage | undefined, ip: string): number | undefined {
  if (image === undefined || !image.hasClientQuotas) return undefined;
  return image.clientQuotas(entityKey({ ip }))?.[QuotaKey.connectionCreationRate] ?? image.clientQuotas(entityKey({ ip: null }))?.[QuotaKey.connectionCreationRate];
}

/** SCRAM credentials for SASL listeners, from the metadata image (open once start-up gets there). */
export function scramCredentialsOf(metadata: () => MetadataStore | undefined): ScramCredentialSource {
  return {
    scramCredential: (user, mechanism) => {
      const c = metadata()?.image().scramCredential(user, mechanism);
      return c === undefined ? undefined : { salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations };
    },
  };
}

/** Binds every listener of `config` in order, its requests going to `gate`. */
export async function bindListeners(config: BrokerConfig, gate: FrameDispatcher, deps: ListenerBindingDeps): Promise<void> {
  const maxFrameBytes = config.int('socket.request.max.bytes');
  const advertised = config.advertisedListeners();
  // max.connections and max.connection.creation.rate are broker-wide: the listeners share them.
  const openConnections = { count: 0 };
  const perIpOverrides = livePerIpOverrides(() => config.list('max.connections.per.ip.overrides'), deps.logger);
  // All read at each accept: they are dynamic broker configs (Kafka's DynamicConnectionQuota).
  const windowMs = config.int('quota.window.size.seconds') * 1000;
  const numWindows = config.int('quota.window.num');
  const creationRate = new ConnectionRateLimiter(() => config.int('max.connection.creation.rate'), deps.clock, windowMs, numWindows);
  const image = deps.image;
  const ipConnectionRates = image === undefined ? undefined : new IpConnectionRates((ip) => ipConnectionQuota(image(), ip), deps.clock, windowMs, numWindows);
  const listeners = config.listeners();
  // Kafka's protected listener: the inter-broker one, when there are several.
  const interBroker = listeners.length > 0 ? interBrokerListenerName(config) : undefined;
  for (const l of listeners) {
    // SSL / SASL listeners: the TLS handshake and the SASL exchange (auth/secured-listener.ts).
    const authentications = newAuthenticationCounts();
    const secured = securedListener(config, l, gate, { scram: deps.scram, scheduler: deps.scheduler, logger: deps.logger.child('auth'), authentications });
    const server = new KafkaServer(secured.dispatcher, {
      ...secured.options,
      authentications,
      host: l.host,
      port: l.port,
      listenerName: l.name,
      maxFrameBytes,
      maxConnections: () => config.int('max.connections'),
      openConnections,
      creationRate,
      listenerCreationRate: new ConnectionRateLimiter(() => config.listenerLimit(l.name, 'max.connection.creation.rate'), deps.clock, windowMs, numWindows),
      maxListenerConnections: () => config.listenerLimit(l.name, 'max.connections'),
      protectedListener: listeners.length > 1 && l.name === interBroker,
      ...(ipConnectionRates === undefined ? {} : { ipConnectionRates }),
      maxConnectionsPerIp: () => config.int('max.connections.per.ip'),
      maxConnectionsPerIpOverrides: perIpOverrides,
      idleMs: config.int('connections.max.idle.ms'),
      budget: deps.budget,
      scheduler: deps.scheduler,
      framePool: deps.framePool,
      nextConnectionId: deps.nextConnectionId,
      ...(deps.zeroCopyStats === undefined ? {} : { zeroCopyStats: deps.zeroCopyStats }),
      logger: deps.logger.child('network'),
    });
    const bound = await server.listen();
    deps.servers.push(server);
    const adv = advertised.find((a) => a.name === l.name);
    const advertisedHost = adv && adv.host !== '' ? adv.host : l.host !== '' && l.host !== '0.0.0.0' && l.host !== '::' ? l.host : 'localhost';
    const advertisedPort = adv && adv.port !== 0 && config.has('advertised.listeners') ? adv.port : bound.port;
    deps.listeners.push({ ...l, port: bound.port, advertisedHost, advertisedPort });
  }
}
