/**
 * A progress bar that updates in place inside a notebook (one display, update_display_data) and on the
 * terminal (stderr), for training loops and long evaluations.
 * @module
 */
import type { ProgressSink } from '../training/progress';
import { inNotebook, newDisplayId, sendBundle } from './display';

/** Options of {@link progressBar}. */
export interface ProgressOptions {
  /** Minimum milliseconds between updates (default 250). */
  intervalMs?: number;
  /** Bar width in characters (default 30). */
  width?: number;
  /** Also print to the terminal (default: when not in a notebook). */
  terminal?: boolean;
}

/**
 * A {@link ProgressSink} for `train(..., { progress: progressBar() })`.
 * @example await train(model, data, { epochs: 3, progress: progressBar() });
 */
export function progressBar(opts: ProgressOptions = {}): ProgressSink {
  const interval = opts.intervalMs ?? 250;
  const width = opts.width ?? 30;
  let total = 1;
  let done = 0;
  let label = '';
  let t0 = 0;
  let last = 0;
  let info: Record<string, number | string> = {};
  let id = '';
  let sent = false;
  const nb = inNotebook();
  const term = opts.terminal ?? !nb;
  const line = () => {
    const f = Math.min(1, done / total);
    const s = (Date.now() - t0) / 1000;
    const eta = f > 0 ? (s / f) * (1 - f) : 0;
    const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '.');
    const extra = Object.entries(info).map(([k, v]) => `${k} ${v}`).join('  ');
    return `${label} [${bar}] ${done}/${total} ${s.toFixed(1)}s elapsed, ${eta.toFixed(1)}s left  ${extra}`;
  };
  const render = (force = false) => {
    const now = Date.now();
    if (!force && now - last < interval) return;
    last = now;
    const text = line();
    if (nb) {
      const pct = ((100 * done) / total).toFixed(1);
      sendBundle(
        { 'text/plain': text, 'text/html': `<div style="font-family:monospace">${label} <progress value="${done}" max="${total}"></progress> ${pct}% ${text.split(']')[1] ?? ''}</div>` },
        // The metadata tag lets the headless runner echo the bar on its terminal.
        { displayId: id, update: sent, metadata: { robustlab: { progress: true } } },
      );
      sent = true;
    }
    if (term) process.stderr.write(`\r${text}`);
  };
  return {
    start(n, l) {
      total = Math.max(1, n);
      done = 0;
      label = l;
      t0 = Date.now();
      info = {};
      id = newDisplayId();
      sent = false;
      render(true);
    },
    tick(n, i) {
      done += n;
      if (i) info = i;
      render();
    },
    done() {
      render(true);
      if (term) process.stderr.write('\n');
    },
  };
}
