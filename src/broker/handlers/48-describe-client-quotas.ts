/**
 * DescribeClientQuotas (key 48), v0-1.
 * Version notes: v1 is flexible. The filter's rules and errors are in quotas/quota-store.ts; a bad
 * filter answers INVALID_REQUEST with its message and no entries (null), as Kafka does.
 * Not implemented: `ip` entities (Samsa refuses them).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataStore } from '../../metadata/store.js';
import {
  decodeDescribeClientQuotasRequest,
  encodeDescribeClientQuotasResponse,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponseInit,
} from '../../protocol/generated/messages/describe-client-quotas.js';
import { entityParts } from '../quotas/quota-entity.js';
import { describeQuotas } from '../quotas/quota-store.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export interface DescribeClientQuotasDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
}

export function describeClientQuotasHandler(deps: DescribeClientQuotasDeps): ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInit> {
  return defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInit>({
    apiKey: 48,
    name: 'DescribeClientQuotas',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeDescribeClientQuotasRequest,
    encode: encodeDescribeClientQuotasResponse,
    handle(_ctx, req) {
      try {
        const found = describeQuotas(deps.metadata.image(), req.components, req.strict);
        const entries = found.map((f) => ({ entity: entityParts(f.entity), values: Object.entries(f.quotas).map(([key, value]) => ({ key, value })) }));
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
      } catch (e) {
        if (e instanceof KafkaError) return { throttleTimeMs: 0, errorCode: e.code, errorMessage: e.message, entries: null };
        throw e;
      }
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, entries: null };
    },
  });
}
