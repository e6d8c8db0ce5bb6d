/**
 * AlterClientQuotas (key 49), v0-1.
 * Version notes: v1 is flexible. Each entry is validated and applied on its own (its error code and
 * message in its answer, see quotas/quota-store.ts); the valid ones are committed to the metadata
 * together (local store or etcd), so every broker enforces them; `validateOnly` commits nothing.
 * Not implemented: `ip` entities (INVALID_REQUEST).
 */
import type { MetadataStore } from '../../metadata/store.js';
import {
  decodeAlterClientQuotasRequest,
  encodeAlterClientQuotasResponse,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponseInit,
} from '../../protocol/generated/messages/alter-client-quotas.js';
import { QuotaAlterer } from '../quotas/quota-store.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export interface AlterClientQuotasDeps {
  readonly metadata: Pick<MetadataStore, 'image' | 'commit'>;
}

export function alterClientQuotasHandler(deps: AlterClientQuotasDeps): ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponseInit> {
  // The store is reached only when a request comes (the handler list is also built without a broker).
  const alterer = new QuotaAlterer({ image: () => deps.metadata.image(), commit: (d) => deps.metadata.commit(d) });
  return defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponseInit>({
    apiKey: 49,
    name: 'AlterClientQuotas',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeAlterClientQuotasRequest,
    encode: encodeAlterClientQuotasResponse,
    async handle(_ctx, req) {
      const results = await alterer.alter(req.entries, req.validateOnly);
      return { throttleTimeMs: 0, entries: req.entries.map((e, i) => ({ ...(results[i] ?? { errorCode: 0, errorMessage: null }), entity: e.entity })) };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })) };
    },
  });
}
