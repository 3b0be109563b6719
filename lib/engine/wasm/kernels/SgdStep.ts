/**
 * SgdStep (lib/engine/sgdStep.ts) for the wasm backend: one SIMD pass per parameter instead of six element-wise
 * kernels that each allocate a parameter-sized tensor. Each product and sum is rounded as the composite's, so
 * the values are equal bit for bit (tested).
 * @module
 */
import { heapSimd } from '../simd';
import { heapOffset, type Info, type KernelArgs, type WasmBackend } from './heap';

const bits = (x: number): number => new Int32Array(new Float32Array([x]).buffer)[0];

/** The fused step; outputs v' without momentum, [v', b'] with it. */
export function sgdStepKernel(args: KernelArgs): Info | Info[] {
  const { v, g, b } = args.inputs as { v: Info; g: Info; b?: Info };
  const { lr, momentum, weightDecay } = args.attrs as unknown as { lr: number; momentum: number; weightDecay: number };
  const backend = args.backend as WasmBackend;
  const simd = heapSimd(backend);
  const mode = momentum > 0 ? (b ? 'b' : 'f') : 'n';
  const vo = backend.makeOutput(v.shape, 'float32');
  const bo = mode !== 'n' ? backend.makeOutput(v.shape, 'float32') : undefined;
  const n = v.shape.reduce((p, q) => p * q, 1);
  const off = (t: Info | undefined) => (t ? heapOffset(backend, t) : 0);
  const vector = simd ? n & ~3 : 0;
  simd?.[`sgd${mode}${weightDecay > 0 ? 'w' : ''}` as const](off(v), off(g), off(b), off(vo), off(bo), vector * 4, bits(lr), bits(momentum), bits(weightDecay));
  // The last n % 4 values (all of them without the SIMD loops), rounded step by step as float32 like the lanes.
  const [V, G, B, VO, BO] = [v, g, b, vo, bo].map((t) => (t ? backend.typedArrayFromHeap(t) : undefined));
  const f = Math.fround;
  for (let i = vector; i < n; i++) {
    let d = weightDecay > 0 ? f(G![i] + f(V![i] * f(weightDecay))) : G![i];
    if (mode === 'b') d = f(f(B![i] * f(momentum)) + d);
    if (BO) BO[i] = d;
    VO![i] = f(V![i] - f(d * f(lr)));
  }
  return bo ? [vo, bo] : vo;
}
