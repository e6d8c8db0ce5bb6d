/**
 * SaslHandshake (key 17), v0-1.
 * Version notes: v0 is followed by raw SASL tokens, v1 by SaslAuthenticate requests. Kafka's rule:
 * the handshake is answered by the SASL authenticator of a SASL listener before authentication
 * (auth/sasl/sasl-dispatcher.ts); one that reaches the API layer (a PLAINTEXT or SSL listener, or
 * a connection already authenticated) gets ILLEGAL_SASL_STATE.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeSaslHandshakeRequest,
  encodeSaslHandshakeResponse,
  type SaslHandshakeRequest,
  type SaslHandshakeResponseInit,
} from '../../protocol/generated/messages/sasl-handshake.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponseInit> = defineHandler<SaslHandshakeRequest, SaslHandshakeResponseInit>({
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeSaslHandshakeRequest,
  encode: encodeSaslHandshakeResponse,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
