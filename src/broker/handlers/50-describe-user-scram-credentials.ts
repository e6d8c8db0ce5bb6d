/**
 * DescribeUserScramCredentials (key 50), v0.
 * Kafka's rule: the mechanisms and iterations of each named user's credentials (never the
 * salt or keys); no users (null or empty) means every user that has one. A user named twice
 * gets DUPLICATE_RESOURCE, a user without credentials RESOURCE_NOT_FOUND.
 * Samsa: read from the metadata image on whichever broker is asked (Kafka forwards nothing
 * either: every broker has the image).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDescribeUserScramCredentialsRequest,
  encodeDescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponseInit,
} from '../../protocol/generated/messages/describe-user-scram-credentials.js';
import { scramMechanismId, type ScramMechanism } from '../../auth/sasl/scram.js';
import type { ScramCredentialImage } from '../../metadata/image.js';
import type { ScramDeps } from './scram-deps.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function infos(byMechanism: ReadonlyMap<string, ScramCredentialImage>): { mechanism: number; iterations: number }[] {
  return [...byMechanism].map(([m, c]) => ({ mechanism: scramMechanismId(m as ScramMechanism), iterations: c.iterations })).sort((a, b) => a.mechanism - b.mechanism);
}

export function describeUserScramCredentialsHandler(deps: ScramDeps): ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInit> {
  return defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInit>({
    apiKey: 50,
    name: 'DescribeUserScramCredentials',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeDescribeUserScramCredentialsRequest,
    encode: encodeDescribeUserScramCredentialsResponse,
    handle(_ctx, req) {
      const image = deps.scramStore.image();
      if (req.users === null || req.users.length === 0) {
        const results = [...image.scramUsers()].map(([user, byMechanism]) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(byMechanism) }));
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
      }
      const counts = new Map<string, number>();
      for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
      const results = [...counts].map(([user, n]) => {
        if (n > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
        const mine = image.scramCredentialsOf(user);
        if (mine === undefined) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
        return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(mine) };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] };
    },
  });
}
