/** The broker's group coordinator (created and loaded at broker start-up, shut down on stop). */
import type { Broker } from '../broker/broker.js';
import type { GroupCoordinator } from './coordinator.js';

export function groupCoordinator(broker: Broker): GroupCoordinator {
  return broker.groups;
}
