/**
 * Exact nearest-neighbour search on the engine: squared l2 distances by one matmul per chunk of queries,
 * ||q||^2 + ||r||^2 - 2 q.r, with the chunk sized so that its distance block stays under a memory bound.
 * Also a 1NN classifier that the gradient attacks and the evaluation can run on (Hagai & Weiss,
 * Definition 3.1).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Forward } from './classifier';
import { assert } from '../engine/assert';
import { msg } from '../messages';

/** Default bytes of one chunk's distance block (float32). */
export const NN_CHUNK_BYTES = 64 * 2 ** 20;

/** Options of the chunked searches. */
export interface NeighbourOptions {
  /** Bytes of one chunk's [queries x references] distance block; default {@link NN_CHUNK_BYTES} (64 MiB). */
  chunkBytes?: number;
}

/** k nearest references of each query, nearest first. */
export interface Neighbours {
  /** Number of queries. */
  n: number;
  /** Neighbours per query. */
  k: number;
  /** l2 distances, row-major n x k, ascending per row. */
  distances: Float32Array;
  /** Indices into the references, row-major n x k. */
  indices: Int32Array;
}

/** Nearest reference of the query's own class and of any other class. */
export interface ClassNeighbours {
  /** Number of queries. */
  n: number;
  /** Distance to the nearest reference with the query's label (d0); Infinity when that class is empty. */
  ownDistance: Float32Array;
  /** Its index (-1 when none). */
  ownIndex: Int32Array;
  /** Distance to the nearest reference with another label (d1); Infinity when there is none. */
  otherDistance: Float32Array;
  /** Its index (-1 when none). */
  otherIndex: Int32Array;
}

/** `x` as [n, d] (images flattened); the caller disposes the result. */
function rows(x: tf.Tensor, arg: string): tf.Tensor2D {
  assert(x.rank >= 2, () => msg.rank(arg, 'a tensor of rank >= 2 ([n, d] or images [n, h, w, c])', x.shape));
  return tf.reshape(x, [x.shape[0], -1]);
}

function chunkRows(nRef: number, opts: NeighbourOptions): number {
  const bytes = opts.chunkBytes ?? NN_CHUNK_BYTES;
  assert(Number.isFinite(bytes) && bytes > 0, () => msg.positive('chunkBytes', bytes));
  return Math.max(1, Math.floor(bytes / (4 * Math.max(1, nRef))));
}

/**
 * Calls `visit(start, count, block)` for consecutive chunks of queries with `block` the [count, nRef]
 * tensor of squared distances (clamped at 0: the expansion can round below it), disposed after the
 * call; `visit` returns what should be kept and may await reads. Memory: one block plus the inputs.
 * @param reference [nRef, d] (or images), the points searched
 * @param query [n, d] (or images) with the same d
 * @example await squaredDistanceChunks(train, test, {}, async (s, c, d2) => { ... });
 */
export async function squaredDistanceChunks(
  reference: tf.Tensor,
  query: tf.Tensor,
  opts: NeighbourOptions,
  visit: (start: number, count: number, block: tf.Tensor2D) => Promise<void> | void,
): Promise<void> {
  const ref = rows(reference, 'reference');
  const q = rows(query, 'query');
  try {
    assert(ref.shape[1] === q.shape[1], () => msg.shape('query', [null, ref.shape[1]], q.shape));
    const refNorms = tf.tidy(() => tf.reshape(tf.sum(tf.square(ref), 1), [1, -1]));
    try {
      const step = chunkRows(ref.shape[0], opts);
      for (let start = 0; start < q.shape[0]; start += step) {
        const count = Math.min(step, q.shape[0] - start);
        const block = tf.tidy(() => {
          const qc = tf.slice(q, [start, 0], [count, -1]);
          const qn = tf.sum(tf.square(qc), 1, true);
          return tf.relu(tf.sub(tf.add(qn, refNorms), tf.mul(2, tf.matMul(qc, ref, false, true)))) as tf.Tensor2D;
        });
        try {
          await visit(start, count, block);
        } finally {
          block.dispose();
        }
      }
    } finally {
      refNorms.dispose();
    }
  } finally {
    ref.dispose();
    q.dispose();
  }
}

/**
 * Exact k nearest neighbours in l2 of every query among the references (ties: the lower index first for
 * k = 1), by chunked matmul distances on the engine.
 * @param reference [nRef, d] points (or images [nRef, h, w, c])
 * @param query [n, d] points
 * @param opts `k` (default 1) and {@link NeighbourOptions}
 * @example const { indices } = await nearestNeighbours(train, test, { k: 1 });
 */
export async function nearestNeighbours(reference: tf.Tensor, query: tf.Tensor, opts: NeighbourOptions & { k?: number } = {}): Promise<Neighbours> {
  const k = opts.k ?? 1;
  assert(Number.isInteger(k) && k >= 1, () => msg.positiveInt('k', k));
  assert(k <= reference.shape[0], () => msg.atMost('k', reference.shape[0], k));
  const n = query.shape[0];
  const distances = new Float32Array(n * k);
  const indices = new Int32Array(n * k);
  await squaredDistanceChunks(reference, query, opts, async (start, count, d2) => {
    const [vals, idx] = tf.tidy(() => {
      if (k === 1) return [tf.min(d2, 1), tf.argMin(d2, 1)];
      const top = tf.topk(tf.neg(d2), k);
      return [tf.neg(top.values), top.indices];
    });
    const [v, i] = await Promise.all([vals.data(), idx.data()]);
    vals.dispose();
    idx.dispose();
    for (let j = 0; j < count * k; j++) {
      distances[start * k + j] = Math.sqrt(v[j]);
      indices[start * k + j] = i[j];
    }
  });
  return { n, k, distances, indices };
}

/**
 * For each query, the nearest reference of its own label (x0, at d0) and of any other label (x1, at d1),
 * the two numbers Theorem 1 of Hagai & Weiss is stated in.
 * @param reference [nRef, d] points with labels `referenceLabels`
 * @param query [n, d] points with labels `queryLabels`
 * @example const { ownDistance, otherDistance } = await classNearest(trainX, trainY, testX, testY);
 */
export async function classNearest(
  reference: tf.Tensor,
  referenceLabels: Int32Array,
  query: tf.Tensor,
  queryLabels: Int32Array,
  opts: NeighbourOptions = {},
): Promise<ClassNeighbours> {
  assert(referenceLabels.length === reference.shape[0], () => msg.batchMismatch('reference', reference.shape[0], 'referenceLabels', referenceLabels.length));
  assert(queryLabels.length === query.shape[0], () => msg.batchMismatch('query', query.shape[0], 'queryLabels', queryLabels.length));
  const n = query.shape[0];
  const out: ClassNeighbours = {
    n,
    ownDistance: new Float32Array(n),
    ownIndex: new Int32Array(n),
    otherDistance: new Float32Array(n),
    otherIndex: new Int32Array(n),
  };
  const refLab = tf.tensor2d(referenceLabels, [1, referenceLabels.length], 'int32');
  try {
    await squaredDistanceChunks(reference, query, opts, async (start, count, d2) => {
      const parts = tf.tidy(() => {
        const qLab = tf.tensor2d(queryLabels.subarray(start, start + count), [count, 1], 'int32');
        const same = tf.equal(qLab, refLab);
        const inf = tf.fill(d2.shape, Infinity);
        const own = tf.where(same, d2, inf);
        const other = tf.where(same, inf, d2);
        return [tf.min(own, 1), tf.argMin(own, 1), tf.min(other, 1), tf.argMin(other, 1)];
      });
      const [od, oi, xd, xi] = await Promise.all(parts.map((p) => p.data()));
      parts.forEach((p) => p.dispose());
      for (let j = 0; j < count; j++) {
        out.ownDistance[start + j] = Math.sqrt(od[j]);
        out.ownIndex[start + j] = Number.isFinite(od[j]) ? oi[j] : -1;
        out.otherDistance[start + j] = Math.sqrt(xd[j]);
        out.otherIndex[start + j] = Number.isFinite(xd[j]) ? xi[j] : -1;
      }
    });
  } finally {
    refLab.dispose();
  }
  return out;
}

/**
 * The 1NN classifier (Hagai & Weiss, Definition 3.1) as a {@link Classifier}: logit c is
 * -(1/2) min_{i in class c} ||x - x_i||^2, so the argmax is the 1NN label and the margin of the true class
 * over another is (d1^2 - d0^2)/2, zero exactly on the 1NN decision boundary.
 *
 * Its gradient: the logits are piecewise quadratic, so the engine's gradient is the exact gradient
 * -(x - x_nn(c)) of each class's nearest point wherever that nearest point is unique (almost everywhere);
 * gradient attacks on it therefore walk towards the other class's nearest training point, a meaningful
 * but local direction. It has no trainable parameters; its memory is the training set (one tensor).
 * @param x training points [n, ...inputShape] in the model's input space (the classifier keeps a copy)
 * @param y labels in [0, numClasses)
 * @example const nn = nearestNeighbourClassifier(trainX, trainY, 2); const logits = nn.apply(testX).logits;
 */
export function nearestNeighbourClassifier(x: tf.Tensor, y: Int32Array, numClasses: number, opts: { name?: string } = {}): Classifier {
  assert(y.length === x.shape[0], () => msg.batchMismatch('x', x.shape[0], 'y', y.length));
  for (const v of y) assert(Number.isInteger(v) && v >= 0 && v < numClasses, () => msg.labels('y', numClasses, Math.min(...y), Math.max(...y)));
  const inputShape = x.shape.slice(1);
  // One [n_c, d] block per class (kept, owned by the classifier), so the per-class minimum is a plain min.
  const byClass: tf.Tensor2D[] = [];
  const norms: tf.Tensor2D[] = [];
  const flat = rows(x, 'x');
  for (let c = 0; c < numClasses; c++) {
    const idx = [...y.keys()].filter((i) => y[i] === c);
    assert(idx.length > 0, () => msg.emptyRecord(`class ${c} of y`));
    const block = tf.tidy(() => tf.gather(flat, tf.tensor1d(idx, 'int32')) as tf.Tensor2D);
    byClass.push(block);
    norms.push(tf.tidy(() => tf.reshape(tf.sum(tf.square(block), 1), [1, -1])));
  }
  flat.dispose();
  return {
    name: opts.name ?? '1nn',
    inputShape,
    numClasses,
    apply(input: tf.Tensor): Forward {
      return tf.tidy(() => {
        const q = tf.reshape(input, [input.shape[0], -1]) as tf.Tensor2D;
        const qn = tf.sum(tf.square(q), 1, true);
        const cols = byClass.map((b, c) => tf.neg(tf.mul(0.5, tf.min(tf.relu(tf.sub(tf.add(qn, norms[c]), tf.mul(2, tf.matMul(q, b, false, true)))), 1, true))));
        const logits = tf.concat(cols, 1) as tf.Tensor2D;
        return { logits, features: tf.clone(logits) };
      });
    },
    trainableVariables: () => [],
    namedVariables: () => ({}),
    dispose() {
      byClass.forEach((b) => b.dispose());
      norms.forEach((b) => b.dispose());
    },
  };
}
