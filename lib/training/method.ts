/**
 * A training method is an inner maximisation (which inputs the outer loss sees) plus an outer loss: each
 * method is a small record of those two functions, and a new one is a dozen lines.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Forward } from '../models/classifier';
import { msg } from '../messages';

/** What the inner maximisation gets. */
export interface InnerContext {
  /** Seed for this batch's random start. */
  seed: number;
  /** 0-based epoch. */
  epoch: number;
}

/** What the outer loss gets: clean and adversarial forward passes in training mode, computed on demand. */
export interface OuterContext {
  /** The model. */
  model: Classifier;
  /** Clean inputs. */
  x: tf.Tensor;
  /** Labels [N]. */
  y: tf.Tensor1D;
  /** Inputs from the inner maximisation (undefined for standard training). */
  xAdv?: tf.Tensor;
  /** model(x) in training mode (cached: computed once per step). */
  clean(): Forward;
  /** model(xAdv) in training mode (cached). Throws when the method has no inner maximisation. */
  adv(): Forward;
}

/** A training method. */
export interface TrainingMethod {
  /** Name for tables. */
  name: string;
  /** Inner maximisation: returns the inputs the outer loss sees, or undefined. Runs outside the gradient tape. */
  inner?(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, ctx: InnerContext): tf.Tensor | undefined;
  /** Outer loss, a scalar differentiable in the model's parameters. */
  outer(ctx: OuterContext): tf.Scalar;
  /**
   * Optimiser steps per batch over the same batch (FreeAT's replays; default 1). Each replay calls `inner`
   * then `outer` again, so a method that keeps state between calls (FreeAT's persistent noise) sees them in order.
   */
  replays?: number;
}

/** Builds an {@link OuterContext} whose forward passes are computed once, on demand. */
export function outerContext(model: Classifier, x: tf.Tensor, y: tf.Tensor1D, xAdv?: tf.Tensor): OuterContext {
  let c: Forward | undefined;
  let a: Forward | undefined;
  return {
    model,
    x,
    y,
    xAdv,
    clean: () => (c ??= model.apply(x, { training: true })),
    adv: () => {
      if (!xAdv) throw new Error(msg.noInnerMaximisation());
      return (a ??= model.apply(xAdv, { training: true }));
    },
  };
}
