/**
 * Connect REST API errors: Kafka Connect answers {"error_code": <HTTP status>, "message": ...}
 * (ConnectRestException / ErrorMessage) — 404 for an unknown connector or task, 409 for an
 * existing connector or a request made during a rebalance, 400 for a bad config or request.
 */
import { ConfigError } from './api.js';

export class ConnectRestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectRestException';
  }
}

export const notFound = (name: string): ConnectRestError => new ConnectRestError(404, `Connector ${name} not found`);

export function toConnectRestError(e: unknown): ConnectRestError {
  if (e instanceof ConnectRestError) return e;
  if (e instanceof ConfigError) return new ConnectRestError(400, e.message);
  return new ConnectRestError(500, e instanceof Error ? e.message : String(e));
}
