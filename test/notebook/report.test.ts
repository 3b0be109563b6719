// The report from results JSON: generated data said at the top, the three outcomes counted over all notebooks,
// claims with their test, paper tables not measured named in one line, numbers formatted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeReport, formatCell } from '../../lib/notebook/report';
import { claimMostly } from '../../lib/notebook/claims';

test('a run on generated data says so at the top and counts three outcomes', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'robustlab-report-'));
  const nbDir = path.join(out, 'nb');
  fs.mkdirSync(path.join(nbDir, 'reported'), { recursive: true });
  fs.writeFileSync(path.join(nbDir, 'reported', 'x.json'), JSON.stringify({ title: 'X paper', source: 'x.txt, Table 1', units: '%',
    tables: { 'Table 1': [{ defense: 'a', clean: 80 }], 'Table 9': [{ defense: 'a', clean: 1 }] } }));
  const provenance = { dataset: 'shapes10', form: 'generated shapes10 (400 synthetic images)', paperDataset: 'CIFAR-10', isPapers: false, generated: true, fallbacks: ['CIFAR-10: not found'] };
  const claims = [claimMostly('c1', 5, 10), claimMostly('c2', 10, 10), claimMostly('c3', 4, 10)];
  fs.writeFileSync(path.join(out, 'x.json'), JSON.stringify({ title: 'X', profile: 'smoke', provenance, claims,
    tables: { 'Table 1': [{ defense: 'a', measure: 'clean', paper: 80, ours: 0.37666666666666665, '±': 1, 'ours − paper': -79.62333 }] } }));
  const { counts } = await writeReport({ status: [{ name: 'x', ok: true, seconds: 1.23 }], out, nbDir, profile: 'smoke' });
  assert.equal(counts, { holds: 1, doesNotHold: 0, inconclusive: 2, total: 3 });
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  const top = md.split('## X')[0];
  assert.match(top, /\*\*Generated data\*\*: x ran on the generated shapes10 set.*mostly inconclusive/);
  assert.match(top, /\*\*Not the paper's data\*\* \(the paper uses CIFAR-10\)/);
  assert.match(top, /Claims over all notebooks: \*\*1 hold, 0 do not, 2 inconclusive of 3\*\*/);
  assert.match(md, /\| c2 \| holds \| sign test/);
  assert.match(md, /\| a \| clean \| 80 \| 0\.3767 \| 1 \| -79\.62 \|/);
  assert.not.match(md, /0\.37666/);
  assert.match(md, /Paper tables not measured in this run: Table 9\./);
  assert.not.match(md, /undefined/);
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /class="warn"/);
  fs.rmSync(out, { recursive: true, force: true });
});

test('formatCell: integers as they are, at most 2 decimals (4 below 1), a dash for missing', () => {
  assert.equal([formatCell(3), formatCell(52.347), formatCell(0.123456), formatCell(undefined), formatCell('x')], ['3', '52.35', '0.1235', '–', 'x']);
});

test.run();
