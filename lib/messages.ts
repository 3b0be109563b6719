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
  // reliability (issue 13)
  checkpointNotFinite: (file: string, tensor: string, index: number, value: number) =>
    `checkpoint ${file}: ${tensor} holds ${value} at flat index ${index} (NaN or Infinity: corrupt file or a diverged run)`,
  resumeMismatch: (epoch: number, batch: number, saved: number | undefined, now: number) =>
    `stopped after batch ${batch} of epoch ${epoch} with ${saved ?? 'an unknown number of'} batches per epoch, but this run has ${now} (resume with the same data size and batchSize)`,
  scheduleLr: (epoch: number, batch: number, lr: unknown) =>
    `schedule: must return a finite learning rate >= 0, returned ${fmt(lr)} at epoch ${epoch}, batch ${batch}`,
  threadsUsed: (backend: string, requested: number, used: number, cores: number) =>
    `threads: ${requested} requested, backend '${backend}' uses ${used} (this machine has ${cores} cores)`,
  engineBusy: (pendingBackend: string, requested: string) =>
    `initEngine: asked for backend ${requested} while an initialisation for ${pendingBackend} is in progress; await the first call before switching`,
  finiteNumber: (arg: string, v: unknown) => `${arg}: must be a finite number, got ${fmt(v)}`,
  notFiniteAt: (arg: string, index: number, v: number) => `${arg}: contains ${v} at flat index ${index} (values must be finite)`,
  imageBatchShape: (arg: string, shape: unknown) =>
    `${arg}: expected [n, height, width, channels] with n >= 1, height, width >= 1 and channels 1 or 3, got ${fmt(shape)}`,
  bounds: (arg: string, v: unknown) => `${arg}: must be [lo, hi] with finite lo < hi, got ${fmt(v)}`,
  notATensor: (arg: string, v: unknown) =>
    `${arg}: expected a tf.Tensor, got ${v === null ? 'null' : Array.isArray(v) ? 'an array (wrap it with tf.tensor)' : typeof v}`,
  disposedTensor: (arg: string) => `${arg}: the tensor has been disposed`,
  dtype: (arg: string, expected: string, seen: string) => `${arg}: expected dtype ${expected}, got ${seen}`,
  indexRange: (arg: string, i: number, v: number, n: number) => `${arg}[${i}]: must be an integer in [0, ${n - 1}], got ${fmt(v)}`,
  wilsonCounts: (k: number, n: number) => `wilson: needs integers 0 <= k <= n, got k = ${fmt(k)}, n = ${fmt(n)}`,
  peakAt: (v: number) => `peakAt: must lie in (0, 1), got ${fmt(v)}`,
  startFactor: (v: number) => `startFactor: must lie in (0, 1], got ${fmt(v)}`,
  shapeDims: (arg: string, rank: number | undefined, v: unknown) =>
    `${arg}: must be ${rank === undefined ? 'a list of' : `${rank}`} positive integer dimensions, got ${fmt(v)}`,
  // data: CIFAR-10 forms, decoded-set cache, downloads (issue 14)
  cacheStale: (file: string, why: string) => `robustlab: decoded-set cache ${file} is not valid (${why}); decoding again`,
  cacheWriteFailed: (file: string, why: string) =>
    `robustlab: could not write the decoded-set cache ${file} (${why}); the set will be decoded again next time`,
  md5Mismatch: (file: string, got: string, want: string) => `${file}: MD5 ${got}, expected ${want} (corrupt or wrong file; it was not kept)`,
  // notebook kit: claims, profiles, reported numbers, experiments (issue 15)
  pairedLength: (what: string, na: number, nb: number) =>
    `${what}: per-example vectors must have the same length (the same test images), got ${na} and ${nb}`,
  tooFewSeeds: (what: string, need: number, got: number) => `${what}: needs at least ${need} values per group, got ${got}`,
  unknownProfile: (name: string, known: readonly string[]) =>
    `ROBUSTLAB_PROFILE: must be one of ${known.join(', ')}, got ${fmt(name)}`,
  profileKeys: (profile: string, missing: readonly string[], extra: readonly string[]) =>
    `profile ${profile}: must have the same settings as the others; missing ${missing.join(', ') || 'none'}, extra ${extra.join(', ') || 'none'}`,
  profileValue: (profile: string, key: string, v: unknown) =>
    `profile ${profile}: setting ${key} must be a finite number, a string, a boolean or an array of them, got ${fmt(v)}`,
  reportedSchema: (file: string, where: string, expected: string, v: unknown) =>
    `${file}: ${where} must be ${expected}, got ${typeof v === 'object' ? JSON.stringify(v)?.slice(0, 60) : fmt(v)}`,
  reportedMissing: (name: string, looked: readonly string[]) =>
    `reported(${fmt(name)}): no file notebooks/reported/${name}.json (looked in ${looked.length} places: ${looked.join(', ')})`,
  unknownMeasure: (what: string, measure: string, known: readonly string[]) =>
    `${what}: no measure ${fmt(measure)}; measured: ${known.join(', ')}`,
  unknownRow: (table: string, key: string, known: readonly string[]) =>
    `${table}: no row ${fmt(key)}; rows: ${known.join(', ')}`,
  noDataset: (tried: readonly string[]) => `data: none of ${tried.join(', ')} could be loaded`,
  // 1NN robustness (issue 17)
  nnCap: (cap: number, eps: number) => `radiusCap: must be at least eps (${fmt(eps)}), got ${fmt(cap)}`,
  // BLAS and Node versions (issues 22, 23)
  referenceBlas: (file: string) =>
    `robustlab: aten's matrix products run on the reference BLAS (${file}), about 40 times slower than an optimised one; install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; Fedora: dnf install openblas-openmp; pip torch bundles its own) and restart`,
  // attack frame, options and evaluation (issues 16 and 24)
  cwSteps: (steps: number, reference: number) =>
    `C&W l2 ran ${steps} Adam steps per constant where the reference code runs ${reference}: its norms are larger than the paper's`,
  probabilityOutputs: () =>
    'the model outputs look like probabilities (rows in [0, 1] summing to 1), not logits: attacks on their cross-entropy see flat losses; pass the logits (AutoAttack check)',
  fastEnsemble: () =>
    "evaluate(): the 'fast' ensemble (APGD-CE and APGD-T only) is NOT a robustness evaluation: no FAB, no black-box attack, so gradient masking can go unnoticed; use the standard ensemble for reported numbers",
  leftThreatModel: (attack: string, norm: string, eps: number, seen: number) =>
    `${attack}: returned a point at ${norm} distance ${seen} from its input, outside the threat model (eps ${eps}); its successes there are not counted`,
  // perceptually aligned gradients (issue 19)
  pagEmptyClass: (c: number) => `data: class ${c} has no training images; every gradient source needs at least one image per class`,
  pagTargetsPerImage: (k: number, classes: number) =>
    `targetsPerImage: must be 'all' or an integer in [1, ${classes}], got ${fmt(k)}`,
  pagNoTargets: () => `PAG: the outer loss ran without the ground-truth gradients of its inner step (call inner first, as the trainer does)`,
  noInnerMaximisation: () => 'adv(): this training method has no inner maximisation (xAdv is undefined)',
} as const;
// class-wise robustness gaps: label augmentation (issue 18)
export const msgLabelAugmentation = {
  firstLogits: (k: number, outputs: number) => `k: must be an integer in [1, ${outputs}] (the model's outputs), got ${k}`,
  warmStart: (name: string, why: string, shape: readonly number[], base: readonly number[]) =>
    `warmStart: variable ${name}: ${why} (model [${shape.join(', ')}], base [${base.join(', ')}]); only a head widened along its last axis may differ`,
  labelAugmentedModel: (k: number, outputs: number) =>
    `model: label-augmented training with numClasses ${k} needs a model with ${k + 1} outputs (K classes + 1 "PGD" label), got ${outputs}`,
} as const;
// gain from neighbours: class similarity, neighbour perturbation (issue 20)
export const msgNeighbours = {
  noHead: (model: string) => `model ${model}: class similarity needs a head weight matrix 'head.w' of shape [featureDim, numClasses]; use centroidSimilarity for other heads`,
  ragged: () => `w: expected a non-empty [featureDim, numClasses] matrix with rows of equal length`,
  centroidLabels: (n: number, got: number) => `labels: expected ${n} labels (one per feature row), got ${got}`,
  fewClasses: (c: number) => `histogram: the rank test needs at least 3 classes, got ${c}`,
  k: (k: number, c: number, excludeSelf: boolean) => `k: must be an integer in [1, ${c - (excludeSelf ? 1 : 0)}]${excludeSelf ? ' (excluding the class itself)' : ''}, got ${k}`,
} as const;
// sweeps: task keys, the task-result store, shards (issue 21)
export const msgTasks = {
  notJson: (where: string, seen: string) => `${where}: a task's parameters and result must be plain JSON (finite numbers, strings, booleans, arrays, plain objects), got ${seen}`,
  badShard: (where: string, seen: string) => `${where}: expected a shard "i/n" with n >= 1 and i in 0..n-1, got "${seen}"`,
  shardAndMerge: () => 'ROBUSTLAB_SHARD and ROBUSTLAB_MERGE=1 are both set: a run either computes one shard or merges all of them',
  noStore: (mode: string) => `${mode} needs ROBUSTLAB_STORE, the task-result store directory that every shard and the merge share`,
  corrupt: (key: string, params: string, why: string, recompute: boolean) =>
    `task store: entry ${key} (${params}) is corrupt: ${why}; ${recompute ? 'recomputing it' : 'treated as missing'}`,
  missing: (section: string, tasks: readonly { params: string; key: string }[]) =>
    `${section}: ${tasks.length} task(s) missing from the store (a shard failed or has not run; re-run it with --shard i/n): ${tasks.map((t) => `${t.params} [${t.key}]`).join('; ')}`,
} as const;
/** Messages of ImageNet-style image folders and ImageNet-C (issues 18, 20): each names the folder, file or argument. */
export const msgImageFolder = {
  notADir: (arg: string, dir: string, expected: string) => `${arg}: ${dir} is not a directory (expected ${expected})`,
  noClassFolders: (dir: string) =>
    `${dir}: no class folders; expected <dir>/<class>/*.JPEG (ImageNet's train/ layout; a flat val/ must first be sorted into class folders, e.g. by valprep.sh)`,
  emptyClass: (dir: string) => `${dir}: class folder has no images (.JPEG, .jpg, .jpeg or .png)`,
  unknownClasses: (arg: string, missing: readonly string[], dir: string) =>
    `${arg}: no class folder ${missing.map((c) => JSON.stringify(c)).join(', ')} in ${dir}`,
  resize: (size: number, v: unknown) => `resize: must be an integer >= size (${size}), got ${fmt(v)}`,
  tooLarge: (n: number, size: number, bytes: number, cap: number) =>
    `imageFolder: ${n} images at ${size}x${size}x3 need ${bytes} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB), over the cap of ${cap} bytes (maxBytes); load a seeded subset with perClass (k images of each class), fewer classes (classes) or a smaller size`,
  missingClassC: (cls: string, dir: string) =>
    `${dir}: no folder for class ${JSON.stringify(cls)}; an ImageNet-C set must hold every class of the clean set it is matched to`,
  missingFileC: (file: string, clean: string) =>
    `${file}: missing; the clean set's image ${clean} has no corrupted copy here (ImageNet-C keeps ImageNet val's file names)`,
  noCorruptions: (dir: string) =>
    `${dir}: no corruption folders; expected ImageNet-C's layout <dir>/<corruption>/<severity 1..5>/<class>/*.JPEG`,
  missingSeverity: (dir: string, present: readonly number[]) =>
    `${dir}: severity folder missing (this corruption has ${present.length ? present.join(', ') : 'none'})`,
  setLabels: (corruption: string, severity: number) =>
    `sets: the ${corruption} set at severity ${severity} does not hold the test set's labels in its order; it must be the corrupted copy of the same images`,
} as const;
