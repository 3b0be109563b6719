/**
 * Floating-point operations of the bench's rows, to turn times into GFLOP/s and a share of the machine's
 * ceiling. Only convolutions and matrix products are counted (2 per multiply-add); element-wise work, pooling
 * and batch norm are left out, so the figures are a slight under-count of the work done. Passes: a forward
 * pass is F; a training step 3F (backward: the input and the weight gradients, F each); an input gradient, as
 * the attacks take it, 2F (no weight gradients).
 * @module
 */

/** A convolution or dense layer as counted: output positions per image, input and output channels, kernel. */
interface Layer {
  positions: number;
  cin: number;
  cout: number;
  kernel: number;
}

const conv = (side: number, cin: number, cout: number, kernel: number): Layer => ({ positions: side * side, cin, cout, kernel });
const dense = (cin: number, cout: number): Layer => ({ positions: 1, cin, cout, kernel: 1 });

/** The small CNN (lib/models/smallCnn.ts, bench/torch_bench.py): conv 3-32 at 32x32, conv 32-64 at 16x16, dense 4096-10. */
const SMALL_CNN: Layer[] = [conv(32, 3, 32, 3), conv(16, 32, 64, 3), dense(64 * 8 * 8, 10)];

/** CIFAR ResNet-18 at width 64 (lib/models/resnet.ts): 3x3 stem, four stages of two basic blocks, dense 512-10. */
function resnet18Layers(): Layer[] {
  const layers = [conv(32, 3, 64, 3)];
  let c = 64;
  let side = 32;
  for (let s = 0; s < 4; s++) {
    const out = 64 * 2 ** s;
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      side /= stride;
      layers.push(conv(side, c, out, 3), conv(side, out, out, 3));
      if (stride !== 1 || c !== out) layers.push(conv(side, c, out, 1));
      c = out;
    }
  }
  layers.push(dense(c, 10));
  return layers;
}

/** The bench's MLP: 3072-1024-1024-10 (a CIFAR image flattened). */
export const MLP_WIDTHS = [3072, 1024, 1024, 10];
/** The bench's product: [M, K] x [K, N], the 1NN search's 2,000 queries against 10,000 CIFAR images. */
export const PRODUCT = { m: 2000, k: 3072, n: 10000 };

const MODELS: Record<string, Layer[]> = {
  smallCnn: SMALL_CNN,
  resnet18: resnet18Layers(),
  mlp: MLP_WIDTHS.slice(1).map((w, i) => dense(MLP_WIDTHS[i], w)),
};

/** FLOPs of one forward pass of one example, or undefined for a model not counted. */
export function forwardFlops(model: string): number | undefined {
  const layers = MODELS[model];
  return layers && layers.reduce((s, l) => s + 2 * l.positions * l.cin * l.cout * l.kernel * l.kernel, 0);
}

/** The attacks' step counts, as the bench runs them. */
export interface AttackSteps {
  apgdSteps: number;
  cwSteps: number;
  cwBinarySteps: number;
}

/**
 * FLOPs of one timed run of a row, or undefined when not counted.
 * @param model smallCnn, resnet18, mlp, matmul or knn
 * @param op the row's operation
 * @param batch examples (queries for knn)
 * @example opFlops('smallCnn', 'trainStep', 128, steps) // 3 * 128 * 11.3e6 = 4.3e9
 */
export function opFlops(model: string, op: string, batch: number, steps: AttackSteps): number | undefined {
  const { m, k, n } = PRODUCT;
  // The k-NN search is the product plus the squared norms, O((m + n) k): under 0.1% of it.
  if (model === 'matmul' || model === 'knn') return 2 * m * k * n;
  const f = forwardFlops(model);
  if (f === undefined) return undefined;
  const perPass: Record<string, number> = {
    forward: 1,
    trainStep: 3,
    pgd10: 10 * 2,
    pgdStep: 2,
    pgd20: 20 * 2,
    // One input gradient at the start, then one per iteration.
    apgdCe: (steps.apgdSteps + 1) * 2,
    // Per step one input gradient for Adam and one forward pass to track the best iterate.
    cwL2: steps.cwBinarySteps * steps.cwSteps * 3,
  };
  return perPass[op] === undefined ? undefined : perPass[op] * f * batch;
}
