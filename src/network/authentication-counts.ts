/**
 * Kafka's socket-server-metrics `successful-authentication-total` and
 * `failed-authentication-total` of one listener. Kafka counts a success when a channel becomes
 * ready (so a PLAINTEXT connection and a completed TLS handshake on an SSL listener count, and on
 * SASL listeners the SASL exchange decides) and a failure for a failed TLS handshake or SASL
 * exchange (bad credentials, unsupported mechanism). Re-authentications (KIP-368) are counted
 * apart, as Kafka does (`successful-reauthentication-total`, `failed-reauthentication-total`), and
 * so are connections closed because their session expired (`expired-connections-killed-count`).
 * Plain counters, owned by the broker per listener and read by the metrics at scrape time.
 */
export interface AuthenticationCounts {
  successes: number;
  failures: number;
  reauthentications: number;
  failedReauthentications: number;
  expiredConnectionsKilled: number;
}

export function newAuthenticationCounts(): AuthenticationCounts {
  return { successes: 0, failures: 0, reauthentications: 0, failedReauthentications: 0, expiredConnectionsKilled: 0 };
}
