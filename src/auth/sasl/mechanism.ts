/**
 * A server-side SASL mechanism: fed the client's tokens one at a time, it answers a challenge,
 * or completes with the final server token and the authenticated user, or throws
 * SaslAuthenticationError (the client gets SASL_AUTHENTICATION_FAILED with its message).
 */
export type SaslStep =
  | { readonly done: false; readonly challenge: Buffer }
  | {
      readonly done: true;
      readonly response: Buffer;
      readonly user: string;
      /** When the credential expires (epoch ms; OAUTHBEARER's token `exp`): bounds the session (KIP-368). */
      readonly credentialExpiresAtMs?: number;
    };

export interface SaslServerMechanism {
  readonly mechanism: string;
  /** A mechanism that validates asynchronously (OAUTHBEARER with a JWKS) answers a promise. */
  evaluate(token: Buffer): SaslStep | Promise<SaslStep>;
}

/** Kafka's SaslAuthenticationException: the message goes to the client. */
export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}
