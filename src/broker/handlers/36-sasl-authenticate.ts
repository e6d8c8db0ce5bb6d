/**
 * SaslAuthenticate (key 36), v0-2.
 * Version notes: v1 adds session_lifetime_ms (0 here: re-authentication, KIP-368, is not
 * implemented); v2 is flexible. Kafka's rule: the SASL authenticator of a SASL listener answers it
 * during authentication (auth/sasl/sasl-dispatcher.ts); one that reaches the API layer gets
 * ILLEGAL_SASL_STATE ("SaslAuthenticate request received after successful authentication").
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateResponse,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponseInit,
} from '../../protocol/generated/messages/sasl-authenticate.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponseInit> = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponseInit>({
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeSaslAuthenticateRequest,
  encode: encodeSaslAuthenticateResponse,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', sessionLifetimeMs: 0n };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, errorMessage: null, sessionLifetimeMs: 0n };
  },
});
