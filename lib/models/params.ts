/**
 * Parameter storage and initialisers for the functional models. Variables are created from a seeded
 * {@link Rng} so that a seed fixes the initial weights on every backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/seed';

/** Named variables of one model, created in a fixed order. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly trainable: tf.Variable[] = [];
  /** Random stream for initialisers. */
  readonly rng: Rng;

  /** @param seed seed of the initialisers. */
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Adds a variable holding `values` of `shape`. */
  add(name: string, shape: number[], values: Float32Array, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: duplicate parameter name '${name}'`);
    const init = tf.tensor(values, shape, 'float32');
    const v = tf.variable(init, trainable, `${name}_${uid++}`);
    init.dispose();
    this.vars.set(name, v);
    if (trainable) this.trainable.push(v);
    return v;
  }

  /** He-normal weights (fan in, gain sqrt(2)), as PyTorch's kaiming_normal_ for ReLU nets. */
  heNormal(name: string, shape: number[], fanIn: number): tf.Variable {
    const std = Math.sqrt(2 / fanIn);
    return this.add(name, shape, this.fill(shape, () => std * this.rng.normal()));
  }

  /** Uniform in [-1/sqrt(fanIn), 1/sqrt(fanIn)]: PyTorch's default for linear layers and biases. */
  fanInUniform(name: string, shape: number[], fanIn: number): tf.Variable {
    const b = 1 / Math.sqrt(fanIn);
    return this.add(name, shape, this.fill(shape, () => (2 * this.rng.next() - 1) * b));
  }

  /** A constant-filled variable (biases, batch-norm scale and statistics). */
  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    return this.add(name, shape, this.fill(shape, () => value), trainable);
  }

  /** Trainable variables in creation order. */
  trainableVariables(): tf.Variable[] {
    return [...this.trainable];
  }

  /** Every variable by name. */
  named(): Record<string, tf.Variable> {
    return Object.fromEntries(this.vars);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.trainable.length = 0;
  }

  private fill(shape: number[], f: () => number): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = f();
    return a;
  }
}
let uid = 0;
