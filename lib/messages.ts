/**
 * Every error and warning text of the library, in one place so that tests can match them and users can
 * search them. Each function names the argument, what was expected and what was seen.
 * @module
 */

const fmt = (v: unknown): string =>
  Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v);

/** Messages, grouped by what they check. */
export const msg = {
  rank: (arg: string, expected: string, shape: readonly number[]) =>
    `${arg}: expected ${expected}, got a tensor of shape ${fmt(shape)}`,
  shape: (arg: string, expected: readonly (number | null)[], shape: readonly number[]) =>
    `${arg}: expected shape ${fmt(expected.map((d) => (d === null ? '*' : d)))}, got ${fmt(shape)}`,
  batchMismatch: (a: string, na: number, b: string, nb: number) =>
    `${a} and ${b} must have the same batch size: ${a} has ${na}, ${b} has ${nb}`,
  range: (arg: string, lo: number, hi: number, seenLo: number, seenHi: number) =>
    `${arg}: values must lie in [${lo}, ${hi}], saw values in [${seenLo}, ${seenHi}]`,
  notFinite: (arg: string) => `${arg}: contains NaN or Infinity`,
  labels: (arg: string, numClasses: number, seenLo: number, seenHi: number) =>
    `${arg}: labels must be integers in [0, ${numClasses - 1}], saw values in [${seenLo}, ${seenHi}]`,
  nonNegative: (arg: string, v: number) => `${arg}: must be a finite number >= 0, got ${fmt(v)}`,
  positive: (arg: string, v: number) => `${arg}: must be a finite number > 0, got ${fmt(v)}`,
  positiveInt: (arg: string, v: number) => `${arg}: must be an integer >= 1, got ${fmt(v)}`,
  nonNegativeInt: (arg: string, v: number) => `${arg}: must be an integer >= 0, got ${fmt(v)}`,
  oneOf: (arg: string, options: readonly unknown[], v: unknown) =>
    `${arg}: must be one of ${options.map((o) => fmt(o)).join(', ')}, got ${fmt(v)}`,
  unknownBackend: (name: string, known: readonly string[]) =>
    `backend: unknown backend ${fmt(name)}; known backends are ${known.join(', ')}`,
  backendUnavailable: (name: string, why: string) => `backend ${fmt(name)} is not available: ${why}`,
  backendSkipped: (name: string, why: string) => `robustlab: skipping backend '${name}': ${why}`,
  checkpointMismatch: (file: string, what: string) => `checkpoint ${file}: ${what}`,
  // attacks, evaluation and metrics (issue 6)
  atMost: (arg: string, max: number, v: number) => `${arg}: must be at most ${max}, got ${fmt(v)}`,
  tooFewClasses: (what: string, need: number, got: number) => `${what} needs a model with at least ${need} classes, got ${got}`,
  imageInputs: (what: string, inputShape: readonly number[]) =>
    `model: ${what} needs image inputs of shape [height, width, channels], got inputShape ${fmt(inputShape)}`,
  missingBaseline: (name: string) => `baseline: no error recorded for corruption ${fmt(name)}`,
  emptyRecord: (arg: string) => `${arg}: needs at least one entry`,
  maskingZeroGradients: (frac: number) =>
    `gradient masking? the loss gradient is exactly zero for ${(100 * frac).toFixed(1)}% of the inputs (AutoAttack flag)`,
  maskingEps: (eps: number, acc: number, bigEps: number, bigAcc: number) =>
    `gradient masking? robust accuracy does not fall with eps: ${acc.toFixed(4)} at eps ${eps} vs ${bigAcc.toFixed(4)} at eps ${bigEps}`,
  maskingBlackBox: (attack: string, flipped: number) =>
    `gradient masking? the black-box attack ${attack} found ${flipped} adversarial example(s) the white-box attacks missed`,
  maskingRandom: (diff: number) => `randomness in the model: two forward passes differ by up to ${diff}; use EOT or fix the seed`,
  // data (issue 5)
  dataMissing: (what: string, where: string, files: readonly string[], source: string) =>
    `${what}: not found in ${where}; put ${files.join(', ')} there or set ROBUSTLAB_DATA to a directory that has them (official source: ${source})`,
  dataCorrupt: (file: string, what: string) => `${file}: ${what}`,
  frostFallback: (where: string) =>
    `frost: no frost photographs (frost1.png .. frost5.jpg) in ${where}; using a procedural frost texture instead (results differ from CIFAR-10-C)`,
  downloadFailed: (url: string, why: string) =>
    `download of ${url} failed: ${why}; download it by hand and put it in the data directory (see npm run data -- --help)`,
  // attack frame, options and evaluation (issues 16 and 24)
  cwSteps: (steps: number, reference: number) =>
    `C&W l2 ran ${steps} Adam steps per constant where the reference code runs ${reference}: its norms are larger than the paper's`,
  probabilityOutputs: () =>
    'the model outputs look like probabilities (rows in [0, 1] summing to 1), not logits: attacks on their cross-entropy see flat losses; pass the logits (AutoAttack check)',
  fastEnsemble: () =>
    "evaluate(): the 'fast' ensemble (APGD-CE and APGD-T only) is NOT a robustness evaluation: no FAB, no black-box attack, so gradient masking can go unnoticed; use the standard ensemble for reported numbers",
  leftThreatModel: (attack: string, norm: string, eps: number, seen: number) =>
    `${attack}: returned a point at ${norm} distance ${seen} from its input, outside the threat model (eps ${eps}); its successes there are not counted`,
  noInnerMaximisation: () => 'adv(): this training method has no inner maximisation (xAdv is undefined)',
} as const;
