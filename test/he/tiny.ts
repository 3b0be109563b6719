/** A two-input, two-class model whose body is the identity: logits are the head applied to x itself. */
import * as tf from '@tensorflow/tfjs-core';
import { ComposedClassifier, linearHead, type HeadBuilder } from '../../lib/models/compose';
import { ParamStore } from '../../lib/models/params';

export function tiny(head: HeadBuilder = linearHead, w: number[][] = [[1, 0], [0, 1]], b: number[] = [0, 0]): ComposedClassifier {
  const p = new ParamStore(0);
  const h = head(p, 2, 2);
  const named = p.named();
  named['head.w'].assign(tf.tensor2d(w));
  if (named['head.b']) named['head.b'].assign(tf.tensor1d(b));
  return new ComposedClassifier('tiny', [2], 2, p, (x) => x, h);
}
