/**
 * The handlers the broker serves (API key, name, version range), built without a broker: tests
 * that only read the registry (schemas, fuzz corpora) get services that throw if a handler ever
 * used one.
 */
import type { ApiHandler } from '../../src/broker/handler.js';
import { buildHandlers, type HandlerServices } from '../../src/broker/handlers/index.js';

export function servedHandlers(): readonly ApiHandler<unknown, unknown>[] {
  const unused = new Proxy(
    {},
    {
      get(_target, name) {
        // The switches the registry itself reads (group.coordinator.rebalance.protocols): every API on.
        if (name === 'groups') return { consumerSettings: { enabled: true } };
        if (name === 'shareGroups') return { settings: { enabled: true } };
        throw new Error(`handler service ${String(name)} used outside a broker`);
      },
    },
  ) as HandlerServices;
  return buildHandlers(unused);
}
