/**
 * AlterUserScramCredentials (key 51), v0.
 * Kafka's rule (ScramControlManager): the client sends the salt and the salted password (never the
 * password); the broker stores salt, iterations, StoredKey and ServerKey. Checked per user, and a
 * user's changes apply all together or not at all: an unknown mechanism gets
 * UNSUPPORTED_SASL_MECHANISM; iterations outside [4096, 16384], an empty name, salt or salted
 * password get UNACCEPTABLE_CREDENTIAL; the same user and mechanism twice in one request get
 * DUPLICATE_RESOURCE; deleting a credential that does not exist gets RESOURCE_NOT_FOUND.
 * Samsa: the valid changes are committed in one metadata delta (the image, persisted locally or
 * in etcd), so every broker authenticates with them at once.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeAlterUserScramCredentialsRequest,
  encodeAlterUserScramCredentialsResponse,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponseInit,
} from '../../protocol/generated/messages/alter-user-scram-credentials.js';
import { credentialFromSaltedPassword, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISM_IDS, type ScramMechanism } from '../../auth/sasl/scram.js';
import type { MetadataDelta } from '../../metadata/delta.js';
import type { ScramCredentialImage } from '../../metadata/image.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { ScramDeps } from './scram-deps.js';

type Change = NonNullable<MetadataDelta['scramCredentials']>[number];
interface Failure {
  readonly code: number;
  readonly message: string;
}

export function alterUserScramCredentialsHandler(deps: ScramDeps): ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInit> {
  return defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInit>({
    apiKey: 51,
    name: 'AlterUserScramCredentials',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeAlterUserScramCredentialsRequest,
    encode: encodeAlterUserScramCredentialsResponse,
    async handle(_ctx, req) {
      const image = deps.scramStore.image();
      const users: string[] = [];
      const failures = new Map<string, Failure>();
      const changes = new Map<string, Change[]>();
      const seen = new Set<string>();
      const fail = (user: string, code: number, message: string): void => {
        if (!failures.has(user)) failures.set(user, { code, message });
      };
      const note = (user: string, mechanismId: number): ScramMechanism | undefined => {
        if (!users.includes(user)) users.push(user);
        if (user === '') return fail(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'), undefined;
        const mechanism = SCRAM_MECHANISM_IDS.get(mechanismId);
        if (mechanism === undefined) return fail(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'), undefined;
        const key = `${user}\u0000${mechanism}`;
        if (seen.has(key)) return fail(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'), undefined;
        seen.add(key);
        return mechanism;
      };
      const add = (user: string, c: Change): void => {
        const list = changes.get(user) ?? [];
        list.push(c);
        changes.set(user, list);
      };
      for (const d of req.deletions) {
        const mechanism = note(d.name, d.mechanism);
        if (mechanism === undefined) continue;
        if (image.scramCredential(d.name, mechanism) === undefined) {
          fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
          continue;
        }
        add(d.name, { user: d.name, mechanism, credential: null });
      }
      for (const u of req.upsertions) {
        const mechanism = note(u.name, u.mechanism);
        if (mechanism === undefined) continue;
        if (u.iterations < MIN_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: ${u.iterations} (at least ${MIN_ITERATIONS})`);
        else if (u.iterations > MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: ${u.iterations} (at most ${MAX_ITERATIONS})`);
        else if (u.salt.length === 0 || u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt and salted password must not be empty');
        else {
          const c = credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations);
          const credential: ScramCredentialImage = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
          add(u.name, { user: u.name, mechanism, credential });
        }
      }
      const accepted = [...changes].filter(([user]) => !failures.has(user)).flatMap(([, list]) => list);
      let commitFailure: Failure | null = null;
      if (accepted.length > 0) {
        try {
          await deps.scramStore.commit({ scramCredentials: accepted });
        } catch (e) {
          commitFailure = { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: e instanceof Error ? e.message : String(e) };
        }
      }
      const results = users.map((user) => {
        const f = failures.get(user) ?? commitFailure;
        return { user, errorCode: f?.code ?? ErrorCode.NONE, errorMessage: f?.message ?? null };
      });
      return { throttleTimeMs: 0, results };
    },
    errorResponse(req, errorCode) {
      const users = new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)]);
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode, errorMessage: null })) };
    },
  });
}
