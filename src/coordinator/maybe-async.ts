/**
 * Values that are there at once or later: a coordinator operation whose records are committed as
 * soon as they are appended (single node) finishes synchronously and returns its value; one that
 * waits for a commit (replication) returns a promise. Chaining through these helpers keeps the
 * synchronous path free of microtask hops, so a coordinator request that needs no wait is handled
 * in one go, as before.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `f(v)` now when `v` is a value, after it resolves when it is a promise. */
export function chain<T, U>(v: MaybePromise<T>, f: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** Runs `body`; `cleanup` runs once it returned, threw, or (when it returned a promise) settled. */
export function always<T>(body: () => MaybePromise<T>, cleanup: () => void): MaybePromise<T> {
  let r: MaybePromise<T>;
  try {
    r = body();
  } catch (e) {
    cleanup();
    throw e;
  }
  if (r instanceof Promise) return r.finally(cleanup);
  cleanup();
  return r;
}
