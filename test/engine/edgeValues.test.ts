// Every kernel the attacks and training rely on, on every backend against the cpu reference, at the values
// where kernels go wrong: tiny (1e-30, denormals down to 1e-45), huge (1e30, near float32's 3.4e38), both
// zeros, NaN and the infinities. Agreement is exact (NaN as NaN, -0 as -0) unless a case says otherwise;
// the differences left are listed, with why they are harmless, in the last tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { backends, compareWithCpu, outputsOn } from '../helpers/backends';

/** The edge values, each kind on both signs; 21 of them, so that vector loops also run their scalar tail. */
const E = [0, -0, 1e-30, -1e-30, 1e-40, -1e-45, 1.17e-38, -1.2e-38, 1e-7, -1.1e-7, 1.2e-7, 1e30, -1e38, 3.4e38, NaN, Infinity, -Infinity, 1, -1, 0.5, -0.5];
const e = () => tf.tensor1d(E);
/** Every ordered pair of edge values, as two vectors. */
const pairs = (): [tf.Tensor1D, tf.Tensor1D] => [tf.tensor1d(E.flatMap((a) => E.map(() => a))), tf.tensor1d(E.flatMap(() => E))];
/** The edge values and their negatives as a [rows, 8] matrix padded with ordinary numbers, for reductions. */
const rows = (): tf.Tensor2D => {
  const v = [...E, ...E.map((x) => -x)];
  while (v.length % 8) v.push(0.25);
  return tf.tensor2d(v, [v.length / 8, 8]);
};

interface Case {
  name: string;
  f: () => tf.Tensor | tf.Tensor[];
  /** Tolerance on finite values where kernels round differently (transcendental functions, sums); default exact. */
  atol?: number;
  rtol?: number;
  /** false: -0 and +0 count as equal (a sign bit no attack reads; said where it is used). */
  signedZero?: boolean;
}

const cases: Case[] = [
  // l-inf steps (sign of the gradient) and l1/l-inf norms.
  { name: 'sign', f: () => tf.sign(e()) },
  { name: 'sign of int32', f: () => tf.sign(tf.tensor1d([0, -3, 5, -2147483648, 2147483647], 'int32')) },
  { name: 'abs', f: () => tf.abs(e()) },
  { name: 'neg', f: () => tf.neg(e()) },
  // Clipping to the input bounds and to the eps-ball.
  { name: 'clipByValue at [0, 1]', f: () => tf.clipByValue(e(), 0, 1) },
  { name: 'clipByValue at [-1e-30, 1e30]', f: () => tf.clipByValue(e(), -1e-30, 1e30) },
  { name: 'clipByValue with a bound equal to the value', f: () => tf.clipByValue(tf.tensor1d([0.1, 0.2, 0.3, -0.1]), 0.1, 0.3) },
  // aten: max(-0, +0) and min(+0, -0) keep the first operand's zero (torch); Math.max orders -0 below +0.
  { name: 'maximum and minimum of every pair', signedZero: false, f: () => { const [a, b] = pairs(); return [tf.maximum(a, b), tf.minimum(a, b)]; } },
  { name: 'maximum and minimum with a scalar', f: () => [tf.maximum(e(), 0), tf.minimum(e(), 1), tf.maximum(e(), NaN), tf.minimum(tf.scalar(NaN), e())] },
  // A [N, 1] bound broadcast over columns: wasm's own kernel runs both ways round; its -0/+0 choice is its own.
  { name: 'maximum and minimum broadcast [4, 1] over [4, 5]', signedZero: false, f: () => {
    const a = tf.tensor2d(E.slice(0, 20), [4, 5]);
    const b = tf.tensor2d([0, NaN, -Infinity, 1e-45], [4, 1]);
    return [tf.maximum(a, b), tf.minimum(b, a), tf.maximum(b, a)];
  } },
  { name: 'comparisons of every pair', f: () => { const [a, b] = pairs(); return [tf.greater(a, b), tf.greaterEqual(a, b), tf.less(a, b), tf.lessEqual(a, b), tf.equal(a, b), tf.notEqual(a, b)]; } },
  { name: 'isNaN, isFinite, isInf, logical ops', f: () => [tf.isNaN(e()), tf.isFinite(e()), tf.isInf(e()), tf.logicalAnd(tf.greater(e(), 0), tf.less(e(), 1)), tf.logicalOr(tf.isNaN(e()), tf.less(e(), 0)), tf.logicalNot(tf.isNaN(e()))] },
  { name: 'where (select) with edge values on both sides', f: () => { const [a, b] = pairs(); return tf.where(tf.greater(a, b), a, b); } },
  { name: 'step', f: () => tf.step(e()) },
  // Element-wise arithmetic of every pair (inf - inf, 0 * inf, denormal products, overflow).
  { name: 'add, sub, mul, div of every pair', f: () => { const [a, b] = pairs(); return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b)]; } },
  { name: 'squaredDifference of every pair', f: () => { const [a, b] = pairs(); return tf.squaredDifference(a, b); }, rtol: 1e-6 }, // wasm: (a - b)^2 rounded once more
  { name: 'relu', f: () => tf.relu(e()), signedZero: false }, // aten: relu(-0) = -0 (torch keeps the input)
  { name: 'square, sqrt, rsqrt, reciprocal', f: () => [tf.square(e()), tf.sqrt(e()), tf.rsqrt(e()), tf.reciprocal(e())], rtol: 3e-7 },
  { name: 'exp, log, expm1', f: () => [tf.exp(e()), tf.log(e()), tf.expm1(e())], rtol: 2e-7 },
  // Up to 1e38 (see the documented differences for aten above that); aten flushes log1p(-1e-45) to 0.
  { name: 'log1p (the l1 attacks\' Laplace start)', f: () => tf.log1p(tf.clipByValue(e(), -1, 1e38)), rtol: 2e-7, atol: 2e-45, signedZero: false },
  { name: 'sigmoid, tanh, softplus, atanh', f: () => [tf.sigmoid(e()), tf.tanh(e()), tf.softplus(e()), tf.atanh(tf.clipByValue(e(), -0.999, 0.999))], rtol: 2e-7 },
  { name: 'floor, ceil', f: () => [tf.floor(e()), tf.ceil(e())] },
  { name: 'round', f: () => tf.round(tf.tensor1d([0.5, 1.5, 2.5, -0.5, -1.5, NaN, 1e-30, -1e-30, 3.4e38])), signedZero: false }, // wasm, aten: round(-0.5) = -0
  // Reductions: max/min (l-inf norms, margins), argmax with ties (predictions), sums and means (losses).
  { name: 'max and min over rows and columns', f: () => [tf.max(rows(), 1), tf.min(rows(), 1), tf.max(rows(), 0), tf.min(rows(), 0), tf.max(rows())] },
  { name: 'argMax and argMin with ties (first index wins)', f: () => {
    const t = tf.tensor2d([1, 3, 3, 0, 2, 2, 2, 2, -0, 0, 0, -0, -Infinity, -Infinity, -Infinity, -Infinity, 1e-45, 1e-45, 0, 1e-45, 3.4e38, Infinity, Infinity, 3.4e38], [6, 4]);
    return [tf.argMax(t, 1), tf.argMin(t, 1), tf.argMax(t, 0), tf.argMin(t, 0)];
  } },
  { name: 'sum and mean over rows and columns', f: () => {
    const t = tf.tensor2d([1e-45, 1e-45, 1e-45, 1e-45, 1e30, -1e30, 1, 0, 1e-30, 1e-30, -1e-30, 0, 1e38, 1e38, -1e38, 0, NaN, 1, 2, 3, Infinity, 1, -1, 0, Infinity, -Infinity, 0, 0], [7, 4]);
    return [tf.sum(t, 1), tf.mean(t, 1), tf.sum(t, 0), tf.mean(t, 0)];
  }, rtol: 1e-7, atol: 3e-45 }, // the mean of four 1e-45: cpu divides each by 4 first (0), wasm sums first (1e-45)
  { name: 'sum and mean of denormals and of 256 huge values (float64 vs float32 accumulation within 1e-6)', f: () => [tf.sum(tf.fill([100], 1e-44)), tf.mean(tf.fill([256, 3], 1e36), 0), tf.sum(tf.fill([64, 8], 1e-40), 0)], rtol: 1e-6 },
  { name: 'softmax and logSoftmax (huge, infinite, NaN, tied logits)', f: () => {
    const t = tf.tensor2d([1e30, 0, -1e30, 1, Infinity, 0, 1, 2, -Infinity, -Infinity, 0, 1, NaN, 0, 0, 0, 100, 100, 100, 100, 1e-45, -1e-45, 0, -0, 88, -88, 0, 0], [7, 4]);
    return [tf.softmax(t), tf.logSoftmax(t), tf.logSumExp(t, 1)];
  }, atol: 1e-7, rtol: 1e-6 },
  { name: 'topk with ties and infinities (l1 projections, APGD-T targets)', f: () => {
    const t = tf.tensor2d([1, 3, 3, 0, 2, -Infinity, 2, 2, Infinity, 0, -0, 1e-45], [2, 6]);
    const r = tf.topk(t, 3);
    return [r.values, r.indices];
  } },
  { name: 'oneHot, gather, cumsum', f: () => [tf.oneHot(tf.tensor1d([0, 2, -1, 5], 'int32'), 3), tf.gather(e(), tf.tensor1d([14, 15, 1, 5], 'int32')), tf.cumsum(tf.tensor1d([1e-45, 1e-45, 1e38, 1e38, -Infinity, 1]))] },
  // Products and convolutions on the values above (XNNPACK and libtorch paths, small shapes).
  { name: 'matMul with tiny, huge, NaN and infinite entries (and transposed operands)', f: () => {
    const a = tf.tensor2d([1e-30, 1e30, NaN, 1, Infinity, 0, 1e-40, 1e-39, 0, 1e-38, 1e-45, 0], [4, 3]);
    const b = tf.tensor2d([1, 0, 1e-30, 1, 0, 1], [3, 2]);
    return [tf.matMul(a, b), tf.matMul(b, a, true, true), tf.matMul(a.slice([0, 0], [2, 3]), a.slice([2, 0], [2, 3]), false, true)];
  }, rtol: 1e-6 },
  { name: 'conv2d 2x2 and 3x3 (same, stride 2) on tiny, huge, NaN and infinite inputs', f: () => {
    const x = tf.tensor4d([1e-40, 1e-30, NaN, 1, 1e38, 1e38, 1e-45, 0, 1, 2, 3, Infinity, -0, 0, 0, 0], [1, 4, 4, 1]);
    const x4 = tf.tensor4d(Array.from({ length: 64 }, (_, i) => (i % 5 === 0 ? 1e-40 : i % 7 === 0 ? -1e-39 : i % 11 === 0 ? 1e30 : 0)), [1, 4, 4, 4]);
    return [tf.conv2d(x, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid'), tf.conv2d(x4, tf.ones([3, 3, 4, 4]) as tf.Tensor4D, 1, 'same'), tf.conv2d(x4, tf.fill([3, 3, 4, 2], 1e-20) as tf.Tensor4D, 2, 'same')];
  }, rtol: 1e-6 },
  { name: 'maxPool and avgPool 2x2 on tiny and signed-zero windows', f: () => {
    const x = tf.tensor4d([1e-45, -0, 0, -1e-45, 1e-40, 1e-30, -Infinity, -Infinity, 2e38, 1e38, 1, 1, 0, -0, -0, -0], [1, 4, 4, 1]);
    return [tf.maxPool(x, 2, 2, 'valid'), tf.avgPool(x, 2, 2, 'valid')];
  }, signedZero: false }, // max over {-0, 0}: which zero comes out is the kernel's choice
  // Gradients the attacks take: abs (l1), relu, clip and maximum at their kinks, sqrt at 0, cross-entropy at saturation.
  { name: 'gradients of abs, relu, clipByValue, maximum at kinks and edges', f: () => {
    const x = tf.tensor1d([0, -0, 1, 0.5, 1e-45, -1e-45, 1e-30, NaN, 2, -1, Infinity]);
    return [
      tf.grad((z: tf.Tensor) => tf.abs(z).sum())(x),
      tf.grad((z: tf.Tensor) => tf.relu(z).sum())(x),
      tf.grad((z: tf.Tensor) => tf.clipByValue(z, 0, 1).sum())(x),
      tf.grad((z: tf.Tensor) => tf.maximum(z, 0).sum())(x),
      tf.grad((z: tf.Tensor) => tf.sqrt(tf.abs(z)).sum())(x),
    ];
  } },
  { name: 'cross-entropy input gradient of a saturated softmax (confident logits)', f: () => {
    const logits = tf.tensor2d([40, -40, 0, 87, 0, 0, 1e30, 0, 0, 60, 59.9999, -60], [4, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 0, 1, 2], 'int32'), 3);
    return tf.grad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z as tf.Tensor2D))(logits);
  }, atol: 1e-30, rtol: 1e-5 },
  { name: 'sign of the gradients above (an l-inf step on a confident model)', f: () => {
    const logits = tf.tensor2d([40, -40, 0, 87, 0, 0, 25, 0, 0, 16, 15.9999, -60], [4, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 0, 1, 2], 'int32'), 3);
    return tf.sign(tf.grad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z as tf.Tensor2D))(logits));
  } },
];

test.before(async () => {
  await engine();
  await backends();
});

for (const c of cases) {
  test(`${c.name}: every backend agrees with cpu`, async () => {
    const before = tf.memory().numTensors;
    const diff = await compareWithCpu(c.f, { atol: c.atol ?? 0, rtol: c.rtol ?? 0, signedZero: c.signedZero ?? true });
    for (const [b, lines] of Object.entries(diff)) assert.ok(lines.length === 0, `${b} differs from cpu:\n  ${lines.join('\n  ')}`);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });
}

test('the backends compared are cpu, wasm and aten where built', async () => {
  const names = await backends();
  assert.ok(names[0] === 'cpu' && names.includes('wasm'), `backends: ${names}`);
});

// The differences that remain, pinned so that a change shows. None reaches an attack on a working model.
test('documented: with NaN logits aten argMax/argMin pick the NaN (torch), cpu and wasm skip it', async () => {
  const f = () => [tf.argMax(tf.tensor2d([1, NaN, 3, 0], [1, 4]), 1), tf.argMin(tf.tensor2d([1, NaN, -3, 0], [1, 4]), 1)];
  const cpu = await outputsOn('cpu', f);
  assert.equal(cpu.map((o) => o.values[0]), [2, 2]);
  assert.equal((await outputsOn('wasm', f)).map((o) => o.values[0]), [2, 2]);
  // A model with NaN logits has diverged; the trainer and evaluation report it before predictions matter.
  if ((await backends()).includes('aten')) assert.equal((await outputsOn('aten', f)).map((o) => o.values[0]), [1, 1]);
});

test('documented: a max-pool window holding NaN gives its largest number on cpu, NaN on aten, -Infinity on wasm when the NaN comes first', async () => {
  const f = () => tf.maxPool(tf.tensor4d([NaN, 1, 0.5, 0.25, 2, 3, 1, NaN], [1, 2, 4, 1]), 2, 2, 'valid');
  assert.equal(Array.from((await outputsOn('cpu', f))[0].values), [3, 1]);
  assert.equal(Array.from((await outputsOn('wasm', f))[0].values), [-Infinity, 1]);
  // NaN activations only come from a diverged model (NaN weights or inputs, which checkInputs rejects).
  if ((await backends()).includes('aten')) assert.ok(Number.isNaN((await outputsOn('aten', f))[0].values[0]));
});

test('documented: aten log1p overflows to Infinity above about 1.7e38 (cpu and wasm: 88.7)', async () => {
  // Only the Laplace start takes log1p in the library, of values in [-1, 0].
  if (!(await backends()).includes('aten')) return;
  const f = () => tf.log1p(tf.tensor1d([1e38, 2e38, 3.4e38]));
  assert.equal(Array.from((await outputsOn('aten', f))[0].values).map(Number.isFinite), [true, false, false]);
  assert.equal(Array.from((await outputsOn('wasm', f))[0].values).map(Number.isFinite), [true, true, true]);
});

test('documented: sums past float32 range overflow on wasm and aten, not on cpu (float64 accumulation)', async () => {
  const f = () => [
    tf.mean(tf.tensor2d([3e38, 3e38], [1, 2]), 1),
    tf.prod(tf.tensor1d([1e20, 1e20, 1e-20, 1e-20])),
    tf.avgPool(tf.fill([1, 2, 2, 1], 3e38) as tf.Tensor4D, 2, 2, 'valid'),
  ];
  assert.equal((await outputsOn('cpu', f)).map((o) => o.values[0]), [Math.fround(3e38), 1, Math.fround(3e38)]);
  for (const b of (await backends()).filter((n) => n !== 'cpu')) {
    // Losses and norms of images stay many orders of magnitude below 3.4e38.
    assert.equal((await outputsOn(b, f)).map((o) => o.values[0]), [Infinity, Infinity, Infinity], b);
  }
});

test.run();
