/**
 * Shared vocabulary of the library: norms, bounds and labels.
 * @module
 */

/** The lp norms a threat model can use. */
export const Norm = { L1: 'l1', L2: 'l2', Linf: 'linf' } as const;
/** One of `'l1' | 'l2' | 'linf'`. */
export type Norm = (typeof Norm)[keyof typeof Norm];

/** Valid pixel range of the inputs. Models see inputs in these bounds; normalisation lives inside models. */
export type Bounds = readonly [lower: number, upper: number];

/** Default input bounds: images in [0, 1]. */
export const UNIT_BOUNDS: Bounds = [0, 1];

/** A threat model: the ball `||x' - x||_norm <= eps` intersected with the input bounds. */
export interface ThreatModel {
  /** Norm of the perturbation ball. */
  norm: Norm;
  /** Radius of the perturbation ball (>= 0). */
  eps: number;
}
