/**
 * robustlab's wasm kernels, one per file, and their registration. The wasm backend has no
 * Conv2DBackpropFilter, and its input gradient and transposed matrix products run slow generic loops while
 * its forward convolution and plain matrix product run XNNPACK; so each gradient is rewritten as forward
 * convolutions or plain products, and memory-bound kernels run as single passes over the wasm heap. Some
 * kernels replace wasm's own where those differ from the cpu backend at edge values (Sign, ClipByValue,
 * Maximum, Minimum, Log1p). Configuration: flags.ts.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_RELU_GRAD } from '../../gradients';
import { registerWasmFlags } from './flags';
import { conv2DBackpropFilter } from './Conv2DBackpropFilter';
import { conv2DBias } from './Conv2DBias';
import { CONV2D_BIAS } from '../../convBias';
import { SGD_STEP } from '../../sgdStep';
import { sgdStepKernel } from './SgdStep';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD } from '../../batchNorm';
import { batchNormTrainingGradKernel, batchNormTrainingKernel } from './BatchNorm';
import { reluGradKernel } from './FusedReluGrad';
import { maxPoolGradHeap } from './MaxPoolGrad';
import { signConfig } from './Sign';
import { makeConv2DBackpropInput } from './Conv2DBackpropInput';
import { makeBatchMatMul } from './BatchMatMul';
import { makeReduce } from './leadingReduce';
import { makeShared } from './shareBuffer';
import { makeTile } from './Tile';
import { makeConv2D } from './Conv2D';
import { makeClipByValue } from './ClipByValue';
import { makeExtremum } from './extremum';
import { makeLog1p } from './Log1p';
import { makeGatherV2 } from './GatherV2';

export { WASM_FLAGS, type WasmFlag } from './flags';

/** Kernels wasm lacks, added as they are. */
const ADDED: [string, tf.KernelFunc][] = [
  ['Conv2DBackpropFilter', conv2DBackpropFilter as unknown as tf.KernelFunc],
  [FUSED_RELU_GRAD, reluGradKernel as unknown as tf.KernelFunc],
  [CONV2D_BIAS, conv2DBias as unknown as tf.KernelFunc],
  [SGD_STEP, sgdStepKernel as unknown as tf.KernelFunc],
  [FUSED_BATCH_NORM, batchNormTrainingKernel as unknown as tf.KernelFunc],
  [FUSED_BATCH_NORM_GRAD, batchNormTrainingGradKernel as unknown as tf.KernelFunc],
];

/** Kernels of wasm's replaced outright. */
const REPLACED: tf.KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradHeap as unknown as tf.KernelFunc },
  signConfig,
];

/** Kernels of wasm's wrapped: the new kernel falls back to wasm's own (passed in) where it does not apply. */
const WRAPPED: [string, (original: tf.KernelFunc) => unknown][] = [
  ['Conv2DBackpropInput', makeConv2DBackpropInput],
  ['BatchMatMul', makeBatchMatMul],
  ['Sum', makeReduce('Sum')],
  ['Mean', makeReduce('Mean')],
  ['Identity', makeShared('Identity')],
  ['Cast', makeShared('Cast')],
  ['Tile', makeTile],
  ['Conv2D', makeConv2D],
  ['ClipByValue', makeClipByValue],
  ['Maximum', makeExtremum('Maximum')],
  ['Minimum', makeExtremum('Minimum')],
  ['Log1p', makeLog1p],
  ['GatherV2', makeGatherV2],
];

let registered: string[] | undefined;

/** Registers the flags and the kernels above for the wasm backend (once); returns the kernels' names. */
export function registerFastWasmKernels(): string[] {
  if (registered) return registered;
  registerWasmFlags();
  const names: string[] = [];
  for (const [kernelName, kernelFunc] of ADDED) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    names.push(kernelName);
  }
  for (const config of REPLACED) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
    names.push(config.kernelName);
  }
  for (const [name, make] of WRAPPED) {
    const k = tf.getKernel(name, 'wasm');
    if (!k) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(k.kernelFunc) as tf.KernelFunc, setupFunc: k.setupFunc, disposeFunc: k.disposeFunc });
    names.push(name);
  }
  registered = names;
  return names;
}
