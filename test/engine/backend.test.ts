import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { engine } from '../helpers/setup';
import { engineInfo, initEngine } from '../../lib/engine/backend';

test('picker initialises a backend and reports it', async () => {
  await engine();
  const name = tf.getBackend();
  const info = engineInfo();
  assert.is(info.backend, name);
  assert.is(tf.getBackend(), name);
  assert.ok(info.versions['@tensorflow/tfjs-core']);
  assert.ok(info.threads >= 1);
});

test('unknown backend names are rejected with the list of known ones', async () => {
  try {
    await initEngine({ backend: 'nope' as never });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /unknown backend "nope"; known backends are tensorflow, aten, wasm, cpu/);
  }
});

test.run();
