/**
 * The regular expressions KIP-848 members subscribe with (ConsumerGroupHeartbeat v1
 * SubscribedTopicRegex), compiled and resolved against the topic names for one group coordinator.
 *
 * Kafka's rule: the pattern is RE2/J syntax (com.google.re2j), compiled when a member sends a new
 * one (INVALID_REGULAR_EXPRESSION, "SubscribedTopicRegex `p` is not a valid regular expression:
 * ...", when it does not compile), and matches a topic name as a whole (Matcher.matches);
 * internal topics never match. RE2 runs in time linear in the name, so a client cannot stall the
 * coordinator with a catastrophic pattern, and Kafka resolves the patterns off the request path
 * (asynchronously, in batches).
 *
 * Samsa's equivalent: patterns are compiled with re2js (the same RE2 syntax and linear-time
 * engine) and kept in a bounded LRU per coordinator; each keeps which topic names it was already
 * tested against, so a name is matched once per pattern, not at every heartbeat. The first
 * resolution of a pattern (and of names created since) runs before the heartbeat's write, in
 * slices that yield to the event loop (`prepare`), so other connections are served meanwhile; a
 * name still untested when the write runs (created in between) is matched then.
 * Deviation: a pattern longer than MAX_TOPIC_REGEX_LENGTH characters is refused as
 * INVALID_REGULAR_EXPRESSION (Kafka bounds it only by the string's wire size), because RE2's
 * compile time and per-name cost grow with the pattern.
 */
import { RE2JS } from 're2js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';

/** The longest SubscribedTopicRegex accepted (characters). */
export const MAX_TOPIC_REGEX_LENGTH = 2048;
/** How many compiled patterns a coordinator keeps (least recently used ones are dropped). */
export const DEFAULT_TOPIC_REGEX_CAPACITY = 128;
/** Work per slice of `prepare`, in pattern characters × name characters (a few milliseconds). */
const SLICE_WORK = 4_000_000;

interface Entry {
  readonly pattern: RE2JS;
  /** topic name → whether it matches (the names tested so far). */
  readonly tested: Map<string, boolean>;
}

/** Whether a topic can be subscribed to by a regular expression (internal topics cannot). */
export function regexSubscribable(name: string): boolean {
  return !name.startsWith('__');
}

export class TopicRegexes {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = DEFAULT_TOPIC_REGEX_CAPACITY) {}

  /** Compiles (or finds) `source`; throws INVALID_REGULAR_EXPRESSION when it is not a valid RE2 pattern. */
  validate(source: string): void {
    this.entry(source);
  }

  /** The subscribable names among `names` that `source` matches as a whole (throws as `validate`). */
  matching(source: string, names: Iterable<string>): Set<string> {
    const e = this.entry(source);
    const out = new Set<string>();
    const live = [...names];
    for (const name of live) {
      let hit = e.tested.get(name);
      if (hit === undefined) {
        hit = regexSubscribable(name) && e.pattern.matches(name);
        e.tested.set(name, hit);
      }
      if (hit) out.add(name);
    }
    // Names of deleted topics pile up: forget them once they outnumber the live ones.
    if (e.tested.size > 2 * live.length + 64) {
      const current = new Set(live);
      for (const name of [...e.tested.keys()]) if (!current.has(name)) e.tested.delete(name);
    }
    return out;
  }

  /**
   * Tests `source` against the names it has not been tested against yet, a slice at a time,
   * yielding to the event loop between slices. Rejects with INVALID_REGULAR_EXPRESSION.
   */
  async prepare(source: string, names: () => Iterable<string>): Promise<void> {
    const e = this.entry(source);
    let work = 0;
    for (const name of [...names()]) {
      if (e.tested.has(name)) continue;
      e.tested.set(name, regexSubscribable(name) && e.pattern.matches(name));
      work += (source.length + 16) * (name.length + 1);
      if (work >= SLICE_WORK) {
        work = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        // Dropped from the cache meanwhile: later calls compile it again.
        if (this.entries.get(source) !== e) return;
      }
    }
  }

  /** How many compiled patterns are kept (metrics, tests). */
  get size(): number {
    return this.entries.size;
  }

  private entry(source: string): Entry {
    const cached = this.entries.get(source);
    if (cached !== undefined) {
      // Most recently used last.
      this.entries.delete(source);
      this.entries.set(source, cached);
      return cached;
    }
    const e: Entry = { pattern: compileTopicRegex(source), tested: new Map() };
    this.entries.set(source, e);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return e;
  }
}

/** Compiles an RE2/J pattern; INVALID_REGULAR_EXPRESSION (with Kafka's message) when it does not compile or is too long. */
export function compileTopicRegex(source: string): RE2JS {
  if (source.length > MAX_TOPIC_REGEX_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      `SubscribedTopicRegex is not a valid regular expression: it is ${source.length} characters long, more than the ${MAX_TOPIC_REGEX_LENGTH} accepted.`,
    );
  }
  try {
    return RE2JS.compile(source);
  } catch (e) {
    throw new KafkaError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${source}\` is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}.`);
  }
}
