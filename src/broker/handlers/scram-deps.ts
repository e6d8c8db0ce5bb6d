/** What the SCRAM credential APIs (50, 51) use: the metadata image to read, and commits to change it. */
import type { MetadataStore } from '../../metadata/store.js';

export interface ScramDeps {
  readonly scramStore: Pick<MetadataStore, 'image' | 'commit'>;
}
