/**
 * Preconditions. Messages are built lazily so that a passing check costs nothing.
 * @module
 */

/** Throws an `Error` with `message()` when `cond` is false. */
export function assert(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new Error(message());
}
