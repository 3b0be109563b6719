/**
 * exp(x) rounded correctly to float64. V8's Math.exp (fdlibm) is off by one unit in the last place on some
 * inputs where glibc's exp (what NumPy, SciPy and OpenCV call) is not, and a Gaussian weight one unit off
 * moves blurred pixels across a byte boundary. Computed in double-double arithmetic: x = k ln 2 + r, the
 * Taylor series of exp(r), scaled by 2^k, rounded once.
 * @module
 */

type DD = [number, number];

const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const ta = SPLIT * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLIT * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function add(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  return twoSum(s, e + a[1] + b[1]);
}

function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];

/** exp(x) correctly rounded (to within double-double accuracy) for finite x in [-700, 700]. */
export function exactExp(x: number): number {
  if (x === 0) return 1;
  if (!(x >= -700 && x <= 700)) return Math.exp(x);
  const k = Math.round(x / LN2[0]);
  const r = add([x, 0], mul([-k, 0], LN2));
  // sum r^n / n! from the small terms up
  let term: DD = [1, 0];
  const terms: DD[] = [term];
  for (let n = 1; n <= 27; n++) {
    term = mul(term, r);
    const q = term[0] / n;
    // term / n in double-double: q + (term - q n) / n
    const [p, e] = twoProd(q, n);
    term = twoSum(q, (term[0] - p - e + term[1]) / n);
    terms.push(term);
  }
  let s: DD = [0, 0];
  for (let i = terms.length - 1; i >= 0; i--) s = add(s, terms[i]);
  return (s[0] + s[1]) * 2 ** k;
}
