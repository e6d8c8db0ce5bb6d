/**
 * A LocalMetadataStore behind a commit the test controls: while `hold` is set, commits wait until
 * release(); otherwise they run after a turn of the event loop (as an etcd store answers after a
 * round trip), or at once with `{ deferred: false }`.
 */
import type { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import type { MetadataDelta } from '../../src/metadata/delta.js';
import type { MetadataImage } from '../../src/metadata/image.js';
import type { MetadataListener, MetadataStore } from '../../src/metadata/store.js';

export class DeferredStore implements MetadataStore {
  hold: boolean;
  /** Commits asked for so far. */
  commits = 0;
  private held: (() => void)[] = [];
  private readonly deferred: boolean;

  constructor(
    private readonly inner: LocalMetadataStore,
    opts: { hold?: boolean; deferred?: boolean } = {},
  ) {
    this.hold = opts.hold ?? false;
    this.deferred = opts.deferred ?? true;
  }

  image(): MetadataImage {
    return this.inner.image();
  }

  watch(listener: MetadataListener): () => void {
    return this.inner.watch(listener);
  }

  commit(delta: MetadataDelta): Promise<MetadataImage> {
    this.commits++;
    return new Promise((resolve, reject) => {
      const run = (): void => {
        try {
          resolve(this.inner.commitSync(delta));
        } catch (e) {
          reject(e);
        }
      };
      if (this.hold) this.held.push(run);
      else if (this.deferred) setImmediate(run);
      else run();
    });
  }

  /** Commits waiting for release(). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Stops holding and runs the held commits, in order. */
  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const run of held) run();
  }
}
