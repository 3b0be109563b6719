/**
 * A paper notebook's first cell in one call: the engine started quietly (TF.js's Node banner off), the
 * results record created, and a header line naming the engine and the profile.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, type EngineInfo } from '../engine/backend';
import { Results } from './profile';

/** What {@link startNotebook} returns. */
export interface Started {
  /** The engine in use. */
  info: EngineInfo;
  /** The notebook's results record. */
  results: Results;
  /** "engine: aten (2 threads, cpu); profile: quick". */
  header: string;
}

/**
 * Starts the engine and the results of notebook `name`.
 * @param name file stem (e.g. `02-hypersphere-embedding`) @param title the paper's title
 * @example const { info, results, header } = await startNotebook('02-hypersphere-embedding', 'Boosting ... (NeurIPS 2020)');
 */
export async function startNotebook(name: string, title: string): Promise<Started> {
  // PROD silences TF.js's one-time "Hi, looks like you are running TensorFlow.js in Node.js" banner, printed
  // on stderr when the cpu backend first stores a tensor; it has no other effect on our kernels.
  tf.env().set('PROD', true);
  const info = await initEngine({ verbose: false });
  const header = `engine: ${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'}, ${info.device}); profile: ${process.env.ROBUSTLAB_PROFILE ?? 'quick'}`;
  return { info, results: new Results(name, title), header };
}
