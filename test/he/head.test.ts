import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine, assertClose } from '../helpers/setup';
import { ParamStore } from '../../lib/models/params';
import { hypersphereHead, l2Normalize, type HypersphereHeadOptions } from '../../lib/models/heads/hypersphere';
import { smallCnn } from '../../lib/models/smallCnn';

test.before(engine);

// z = [3, 4], W = [[1, 0], [0, 2]] (columns W_0 = [1, 0], W_1 = [0, 2]).
// FN: z~ = [0.6, 0.8]; WN: W~ = I. cos theta = z~ . W~_l = [0.6, 0.8].
// FN off: z . W~ = [3, 4]; WN off: z~ . W = [0.6, 1.6]; both off: z . W = [3, 8].
function headWith(opts: HypersphereHeadOptions) {
  const p = new ParamStore(0);
  const head = hypersphereHead(opts)(p, 2, 2);
  const w = p.named()['head.w'];
  w.assign(tf.tensor2d([[1, 0], [0, 2]]));
  return { p, head, w };
}

test('HE head outputs cos theta computed by hand; FN and WN switch separately', () => {
  const z = tf.tensor2d([[3, 4]]);
  const cases: [HypersphereHeadOptions, number[]][] = [
    [{}, [0.6, 0.8]],
    [{ featureNorm: false }, [3, 4]],
    [{ weightNorm: false }, [0.6, 1.6]],
    [{ featureNorm: false, weightNorm: false }, [3, 8]],
    // m-HE: -arccos(0.6) = -0.9272952, -arccos(0.8) = -0.6435011
    [{ angular: true }, [-0.9272952, -0.6435011]],
  ];
  for (const [opts, want] of cases) {
    const { p, head } = headWith(opts);
    const out = head(z, false);
    assertClose(out.dataSync(), want, 1e-5, 0, JSON.stringify(opts));
    out.dispose();
    p.dispose();
  }
  z.dispose();
});

test('WN: no gradient through the norm; FN: gradient through the norm', () => {
  const { p, head, w } = headWith({});
  const z = tf.tensor2d([[3, 4]]);
  // d sum(cos) / dW with ||W_l|| held constant: column l gets z~ / ||W_l|| = [[0.6, 0.3], [0.8, 0.4]].
  // (Through the norm, column 1 would be (z~ - cos_1 W~_1) / 2 = [0.3, 0].)
  // A direct check through the variable as the trainer sees it:
  const { grads } = tf.variableGrads(() => head(z, false).sum() as tf.Scalar, [w]);
  assertClose(grads[w.name].dataSync(), [0.6, 0.3, 0.8, 0.4], 1e-5, 0, 'dW');
  // d cos_0 / dz = (W~_0 - cos_0 z~) / ||z|| = ([1, 0] - 0.6 [0.6, 0.8]) / 5 = [0.128, -0.096].
  const gz = tf.grad((zz: tf.Tensor) => head(zz as tf.Tensor2D, false).slice([0, 0], [1, 1]).sum())(z);
  assertClose(gz.dataSync(), [0.128, -0.096], 1e-5, 0, 'dz');
  tf.dispose([gz, z]);
  tf.dispose(Object.values(grads));
  p.dispose();
});

test('WN projects the stored weights in training mode only; no bias parameter', () => {
  const { p, head, w } = headWith({});
  assert.equal(Object.keys(p.named()), ['head.w']);
  const z = tf.tensor2d([[3, 4]]);
  tf.dispose(head(z, false));
  assertClose(w.dataSync(), [1, 0, 0, 2], 0, 0, 'eval mode leaves W alone');
  tf.dispose(head(z, true));
  assertClose(w.dataSync(), [1, 0, 0, 1], 1e-6, 0, 'training mode projects columns to unit norm');
  z.dispose();
  p.dispose();
});

test('l2Normalize and an HE small CNN: unit features, outputs in [-1, 1], no leaks', () => {
  const n = l2Normalize(tf.tensor2d([[3, 4], [0, 0]]));
  assertClose(n.dataSync(), [0.6, 0.8, 0, 0], 1e-6);
  n.dispose();
  const m = smallCnn({ inputShape: [8, 8, 1], channels: [2, 4], hidden: 8, numClasses: 3, head: hypersphereHead(), seed: 2 });
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 1);
  const startCount = tf.memory().numTensors;
  // Training mode too: the in-place projection of W must not leave tensors behind.
  const v = tf.tidy(() => [m.apply(x).logits.dataSync(), m.apply(x, { training: true }).logits.dataSync()]).flatMap((a) => Array.from(a));
  assert.ok(v.every((c) => c >= -1 - 1e-5 && c <= 1 + 1e-5), `cos out of range: ${v}`);
  assert.is(tf.memory().numTensors, startCount);
  x.dispose();
  m.dispose();
  assert.throws(() => hypersphereHead({ angular: true, weightNorm: false }), /angular/);
});

test.run();
