import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { decodeJpegLibjpeg } from '../../lib/data/jpegDecode';
import { decodeImage } from '../../lib/data/image';

const fixtures = path.join(__dirname, 'fixtures');

// written and decoded by PIL (test/data/fixtures/make_jpeg_fixtures.py)
for (const [name, w, h] of [['j420-13x9', 13, 9], ['j444-10x7', 10, 7], ['jgrey-11x6', 11, 6], ['j420-restart-40x24', 40, 24]] as const)
  test(`libjpeg decoding: ${name} gives PIL's pixels exactly`, () => {
    const got = decodeJpegLibjpeg(fs.readFileSync(path.join(fixtures, `${name}.jpg`)));
    assert.ok(got, 'decoded');
    assert.equal([got!.width, got!.height], [w, h]);
    const want = fs.readFileSync(path.join(fixtures, `${name}.rgb`));
    let bad = 0;
    for (let i = 0; i < want.length; i++) if (got!.data[i] !== want[i]) bad++;
    assert.is(bad, 0, `${bad} of ${want.length} bytes differ`);
  });

test('decodeImage: progressive JPEGs fall back to jpeg-js; a truncated baseline stream is an error naming the file', () => {
  const buf = fs.readFileSync(path.join(fixtures, 'j420-13x9.jpg'));
  assert.throws(() => decodeImage(buf.subarray(0, buf.length - 40), 'cut.jpg'), /cut\.jpg: could not decode the JPEG image/);
  // a stream decodeJpegLibjpeg does not take (SOF2, progressive) returns undefined
  const sof2 = Buffer.from(buf);
  const at = sof2.indexOf(Buffer.from([0xff, 0xc0]));
  sof2[at + 1] = 0xc2;
  assert.is(decodeJpegLibjpeg(sof2), undefined);
  const enc = Buffer.from(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(200) }, 90).data);
  assert.ok(Math.abs(decodeImage(enc).data[0] - 200) <= 1);
});

test.run();
