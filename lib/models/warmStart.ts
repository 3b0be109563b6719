/**
 * Fine-tuning from a trained base: copy its weights into a fresh model of the same architecture, where a wider
 * head (K + M outputs, as label augmentation adds) keeps the base's K columns and its own fresh extra ones, as
 * when a pretrained network's classifier is extended.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from './classifier';
import { assert } from '../engine/assert';
import { msgLabelAugmentation } from '../messages';

/**
 * Sets `model`'s variables from `base`'s by name. Same shapes are copied; a variable whose last axis is wider
 * in `model` (head weights [d, K + M], bias [K + M]) takes the base's first K entries and keeps its own rest.
 * Every other difference is an error naming the variable.
 * @returns `model`, for chaining
 * @example const adv = warmStart(smallCnn({ ...arch, numClasses: 11, seed: 1 }), base);
 */
export function warmStart<M extends Classifier>(model: M, base: Classifier): M {
  const from = base.namedVariables();
  for (const [name, v] of Object.entries(model.namedVariables())) {
    const b = Object.hasOwn(from, name) ? from[name] : undefined;
    assert(b !== undefined, () => msgLabelAugmentation.warmStart(name, 'missing in the base model', v.shape, []));
    const same = b.rank === v.rank && b.shape.every((d, i) => d === v.shape[i]);
    if (same) {
      v.assign(b);
      continue;
    }
    const last = v.rank - 1;
    const widened = b.rank === v.rank && b.shape.every((d, i) => (i === last ? d < v.shape[i] : d === v.shape[i]));
    assert(widened, () => msgLabelAugmentation.warmStart(name, 'shapes differ', v.shape, b.shape));
    const k = b.shape[last];
    tf.tidy(() => {
      const rest = v.slice(new Array(v.rank).fill(0).map((_, i) => (i === last ? k : 0)), v.shape.map((d, i) => (i === last ? d - k : d)));
      v.assign(tf.concat([b, rest], last));
    });
  }
  return model;
}
