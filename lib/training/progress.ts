/**
 * What long-running loops report to. The notebook's progress bar and the terminal bar implement it;
 * the library only calls it.
 * @module
 */

/** A receiver of progress events. */
export interface ProgressSink {
  /** A task of `total` units begins. */
  start(total: number, label: string): void;
  /** `n` more units are done; `info` holds live figures (loss, accuracy, lr). */
  tick(n: number, info?: Record<string, number | string>): void;
  /** The task is over. */
  done(): void;
}
