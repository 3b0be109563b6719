// Display through a stand-in for tslab's display writer (the same hook the kernel sets per cell): one
// bundle per plot with the Vega-Lite spec as a JSON object, tables as HTML + text, PNG image grids, and a
// progress bar that updates one display in place.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { engine } from '../helpers/setup';
import { show, table, inNotebook, type Bundle } from '../../lib/notebook/display';
import { showImages } from '../../lib/notebook/images';
import { progressBar } from '../../lib/notebook/progress';
import { groupedBars } from '../../lib/plots/index';

type Sent = { data: Bundle; metadata: Record<string, unknown>; transient: { display_id?: string }; update: boolean };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };

function capture(): Sent[] {
  const sent: Sent[] = [];
  jupyter.lastWriteDisplayData = (m: { data: Bundle; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => sent.push({ ...m, update });
  return sent;
}

test.after.each(() => {
  jupyter.lastWriteDisplayData = null;
});

test('outside a kernel nothing is sent and inNotebook() is false', () => {
  assert.is(inNotebook(), false);
});

test('show() sends one bundle: Vega-Lite as a JSON object, an SVG and text', async () => {
  const sent = capture();
  assert.is(inNotebook(), true);
  await show(groupedBars([{ m: 'a', k: 'x', v: 1 }, { m: 'b', k: 'x', v: 2 }], { x: 'm', y: 'v', color: 'k', title: 'bars' }));
  assert.is(sent.length, 1);
  const d = sent[0].data;
  assert.equal(Object.keys(d).sort(), ['application/vnd.vegalite.v5+json', 'image/svg+xml', 'text/plain']);
  const spec = d['application/vnd.vegalite.v5+json'] as Record<string, unknown>;
  assert.type(spec, 'object');
  assert.is(spec.$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  assert.equal((spec.data as { values: unknown[] }).values.length, 2);
  assert.ok(String(d['image/svg+xml']).startsWith('<svg') && String(d['image/svg+xml']).includes('bars'));
  assert.is(d['text/plain'], '<bars>');
  assert.is(sent[0].update, false);
  assert.equal(sent[0].metadata, {});
});

test('table() sends HTML with the values and a tab-separated text', async () => {
  const sent = capture();
  await table([{ method: 'PGD-AT', accuracy: 0.123456 }, { method: 'TRADES', accuracy: 0.5 }], { digits: 3 });
  const d = sent[0].data;
  assert.ok(String(d['text/html']).includes('<table') && String(d['text/html']).includes('PGD-AT'));
  assert.is(d['text/plain'], 'method\taccuracy\nPGD-AT\t0.123\nTRADES\t0.5');
});

test('showImages() sends a PNG whose pixels are the images', async () => {
  await engine();
  const sent = capture();
  // One 1x2 grey row: black then white pixel; scale 1, pad 1.
  const x = tf.tensor4d([0, 1], [1, 1, 2, 1]);
  await showImages([{ label: 'clean', images: x }], { scale: 1, pad: 1 });
  x.dispose();
  const png = PNG.sync.read(Buffer.from(String(sent[0].data['image/png']), 'base64'));
  assert.is(png.width, 4); // pad + 2 pixels + pad
  assert.is(png.height, 3);
  const px = (i: number, j: number) => png.data[(j * png.width + i) * 4];
  assert.equal([px(0, 0), px(1, 1), px(2, 1), px(3, 1)], [255, 0, 255, 255]);
  assert.ok(String(sent[0].data['text/plain']).includes('clean'));
});

test('progressBar: the first event displays, the rest update that display in place (same id)', async () => {
  const sent = capture();
  const bar = progressBar({ intervalMs: 0 });
  bar.start(4, 'train');
  for (let i = 0; i < 4; i++) bar.tick(1, { loss: 1 - i / 10 });
  bar.done();
  assert.ok(sent.length >= 5);
  const id = sent[0].transient.display_id;
  assert.ok(id && id.length > 0);
  assert.ok(sent.every((s) => s.transient.display_id === id), 'one display id');
  assert.equal(sent.map((s) => s.update), [false, ...Array(sent.length - 1).fill(true)]);
  const last = String(sent[sent.length - 1].data['text/plain']);
  assert.match(last, /train \[#+\] 4\/4/);
  assert.match(last, /loss 0\.7/);
  assert.match(String(sent[0].data['text/html']), /<progress value="0" max="4">/);
  // Tagged so the headless runner can echo it on its terminal; plots are not tagged.
  assert.equal(sent[0].metadata, { robustlab: { progress: true } });
  // A second task on the same bar gets a new display.
  bar.start(2, 'eval');
  assert.is.not(sent[sent.length - 1].transient.display_id, id);
});

test('progressBar on the terminal writes one line updated with carriage returns', () => {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as { write: unknown }).write = (s: string) => (chunks.push(String(s)), true);
  try {
    const bar = progressBar({ intervalMs: 0, width: 10 });
    bar.start(2, 'attack');
    bar.tick(1);
    bar.tick(1);
    bar.done();
  } finally {
    (process.stderr as { write: unknown }).write = orig;
  }
  assert.ok(chunks.every((c) => c.startsWith('\r') || c === '\n'));
  assert.match(chunks[chunks.length - 2], /attack \[#{10}\] 2\/2/);
  assert.is(chunks[chunks.length - 1], '\n');
});

test.run();
