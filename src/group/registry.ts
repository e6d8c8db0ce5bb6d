/**
 * One GroupCoordinator per Broker, created (and its `__consumer_offsets` partitions replayed) on
 * first use, and shut down with the broker. Until the broker calls `startGroupCoordinator` itself
 * at start-up, the first group request (normally FindCoordinator) starts it.
 */
import type { Broker } from '../broker/broker.js';
import { GroupCoordinator } from './coordinator.js';

const coordinators = new WeakMap<Broker, GroupCoordinator>();

export function startGroupCoordinator(broker: Broker): GroupCoordinator {
  const existing = coordinators.get(broker);
  if (existing) return existing;
  const c = new GroupCoordinator(broker);
  coordinators.set(broker, c);
  // Stop timers and answer pending joins when the broker stops.
  const stop = broker.stop.bind(broker);
  broker.stop = async () => {
    c.shutdown();
    await stop();
  };
  c.start();
  return c;
}

export function groupCoordinator(broker: Broker): GroupCoordinator {
  return coordinators.get(broker) ?? startGroupCoordinator(broker);
}
