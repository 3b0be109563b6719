/**
 * robustlab: models, losses, attacks, training methods and metrics for adversarial-robustness research on
 * TensorFlow.js. Explicit re-exports only.
 * @module
 */
import './engine/backend';
export * as tf from '@tensorflow/tfjs-core';
export { Norm, UNIT_BOUNDS } from './types';
export type { Bounds, ThreatModel } from './types';
export { msg } from './messages';

// engine
export { initEngine, engineInfo, BACKENDS } from './engine/backend';
export type { EngineInfo, EngineOptions, BackendName } from './engine/backend';
export { Rng, uniform, normal } from './engine/seed';
export { batchNormTraining } from './engine/batchNorm';
export type { BatchNormResult } from './engine/batchNorm';

// tensor helpers
export { lpNorm, projectBall, projectThreat, perExample } from './tensor/norms';
export { logSoftmax, stopGradient } from './tensor/ops';

// models
export type { Classifier, Forward, ForwardOptions } from './models/classifier';
export { logitsOf } from './models/classifier';
export { ComposedClassifier, linearHead } from './models/compose';
export type { Head, HeadBuilder, ModelOptions, InputNormalization } from './models/compose';
export { ParamStore } from './models/params';
export { mlp } from './models/mlp';
export type { MlpOptions } from './models/mlp';
export { smallCnn } from './models/smallCnn';
export type { SmallCnnOptions } from './models/smallCnn';
export { resnet18, wideResnet } from './models/resnet';
export type { ResNetOptions, WideResNetOptions } from './models/resnet';

// losses
export type { LossContext, ExampleLoss, Loss } from './losses/types';
export { crossEntropy, klDivergence, ce, mean } from './losses/crossEntropy';

// attacks: one frame, one option resolver, one Adam (issue 16)
export type { Attack, GradientAttackOptions } from './attacks/types';
export { defineAttack, ballAttack, resultOf, boundsOf, restarts, onRobust, untilFooled, bestOfRuns, targetCount } from './attacks/frame';
export type { AttackResult, AttackSpec, DefinedAttack, RecordAttack, LoopInput, LoopOutput, Run, ScoredRun } from './attacks/frame';
export { resolveOptions, withDefaults, stepSizeOf, is } from './attacks/options';
export type { OptionFamily, OptionCheck } from './attacks/options';
export { adamInit, adamUpdate, adamDispose, momentumUpdate } from './attacks/optimizers';
export type { AdamOptions, AdamState } from './attacks/optimizers';
export { gradientAttack, gradientDescentAttack, gradientLoop, gradientFamily, resolveGradientOptions, GRADIENT_CHECKS, NORM_HOOKS } from './attacks/gradientDescent';
export { pgd, mim, PGD_DEFAULTS, MIM_DEFAULTS } from './attacks/pgd';
export { fgsm, FGSM_DEFAULTS } from './attacks/fgsm';
export type { FgsmOptions } from './attacks/fgsm';

// training
export type { TrainingMethod, OuterContext, InnerContext } from './training/method';
export { outerContext } from './training/method';
export { Sgd } from './training/sgd';
export type { SgdOptions } from './training/sgd';
export { constant, piecewise, cosine, cyclic, linearWarmup } from './training/schedules';
export type { Schedule } from './training/schedules';
export { standard } from './training/standard';
export { pgdAT, PGD_AT_ATTACK } from './training/pgdAT';
export type { PgdATOptions } from './training/pgdAT';
export { train } from './training/trainer';
export type { TrainData, TrainOptions, TrainResult, EpochRecord } from './training/trainer';
export { saveCheckpoint, loadCheckpoint } from './training/checkpoint';
export type { ProgressSink } from './training/progress';

// metrics
export { accuracy, robustAccuracy, predict, wilson, accuracyRecord } from './metrics/accuracy';
export type { AccuracyRecord, RobustAccuracyRecord } from './metrics/accuracy';
export type { Metric } from './metrics/types';

// attack suite and robust evaluation (issue 6)
export { margin, cwLoss, cwLossKappa, dlrLoss, dlrTargetedLoss } from './losses/margin';
export { apgd, apgdCe, apgdDlr, apgdT, apgdCheckpoints, APGD_DEFAULTS, APGD } from './attacks/apgd';
export type { ApgdOptions, ApgdTOptions } from './attacks/apgd';
export { deepfool, deepfoolRecord, cwL2, cwL2Record, DEEPFOOL_DEFAULTS, CW_L2_DEFAULTS, CW_L2_REFERENCE_STEPS } from './attacks/minNorm';
export type { MinNormResult, DeepFoolOptions, CwL2Options } from './attacks/minNorm';
export {
  spsa, spsaRecord, nes, nesRecord, zoo, zooRecord, spsaSigned, spsaSignedRecord, nesPlain, nesPlainRecord, zooCoordinate, zooCoordinateRecord,
  zooL2, estimateMarginGradient, rademacherDirections, gaussianDirections, GRADIENT_ESTIMATE_DEFAULTS, SPSA_DEFAULTS, NES_DEFAULTS, ZOO_DEFAULTS, ZOO_L2_DEFAULTS,
} from './attacks/blackBox';
export type { BlackBoxResult, GradientEstimateOptions, SpsaOptions, NesOptions, ZooOptions, ZooL2Options } from './attacks/blackBox';
export { featureAttack, pickGuides, FEATURE_ATTACK_DEFAULTS } from './attacks/featureAttack';
export { fab, fabRecord, fabT, fabTRecord, FAB_DEFAULTS, FAB, HyperplaneBoxProjection } from './attacks/fab';
export type { FabOptions, FabTOptions } from './attacks/fab';
export { square, squareRecord, squareP, SQUARE_DEFAULTS } from './attacks/square';
export type { SquareOptions } from './attacks/square';
export { evaluate, defaultAttacks, autoAttackStandard } from './metrics/robustEvaluation';
export type { EvaluationAttack, EvaluationThreat, EvaluateOptions, EvaluationRecord, AttackRow, EnsembleOptions } from './metrics/robustEvaluation';
export { zeroGradients, randomness, probabilityOutputs, epsNotMonotone, blackBoxStronger } from './metrics/checks';
export type { Flag, FlagCode } from './metrics/checks';
export { confusionMatrix, classWiseError, corruptionError, similarityRanks, perturbationNorms } from './metrics/classWise';
export type { ClassWiseErrorRecord, CorruptionErrors, CorruptionRecord, SimilarityRankRecord, PerturbationNormRecord } from './metrics/classWise';

// data
export {
  subset, stratifiedSplit, balancedSubset, toTensors, batches, classIndices, binaryPair, binaryPairs, readIdx, mnistTestSet, mnist, hasMnist, dataDir,
  downloadMnist, MNIST_FILES, shapes10, SHAPES10_CLASSES, pagToy, xorBlobs, pointsToTensors, randomCropFlip, augmentDataset, readNpy, encodeNpy,
  decodeImage, readImage, encodePng, cifar10, stl10, cifar10c, imageFolder, corrupt, corruptedSets, corruptionArrays, CORRUPTIONS,
  corruptionGrid, intensityHistogram, cleanVsCorruptedHistogram,
} from './data/index';
export { findCifar10, CIFAR10_SOURCE_LABELS, CIFAR10_CLASSES } from './data/index';
export type { Cifar10Source } from './data/index';
// ImageNet-style folders and ImageNet-C (issues 18, 20)
export { listImageFolder, loadImageListing, imagenetC, imagenetCListing, imagenetCSets } from './data/index';
export type { ImageFolderOptions, ImageFolderListing, ImagenetCOptions, ImagenetCEntry, CleanMatch } from './data/index';
export type { Dataset, IdxArray, PointSet, NpyArray, RgbImage, CorruptionFamily, ImageBatch, CorruptOptions, GridCell, HistogramRow } from './data/index';

// notebook display and plots
export { show, table, markdown, plotBundle, tableBundle, renderSvg, inNotebook, sendBundle, newDisplayId } from './notebook/display';
export type { Bundle, VegaLiteSpec } from './notebook/display';
export { showImages, imageGridPng, imageGridBundle, amplify } from './notebook/images';
export type { ImageRow, ImageGridOptions } from './notebook/images';
export { progressBar } from './notebook/progress';
export type { ProgressOptions } from './notebook/progress';
export { profile, reported, Results } from './notebook/profile';
export type { ProfileName, ClaimVerdict } from './notebook/profile';
// the notebook kit (issue 15): provenance, experiments, three-valued claims and their tests, the report
export {
  profileRows, PROFILE_NAMES, parseReported, paperValue, loadData, provenanceLine, evaluateModel, accuracyOf, measureOf, correctOn, viewAs,
  joinMeasures, trainNamed, runSeeds, aggregate, plainRow, compareRows, spreadNote, labelled, claimGreater, claimNotWorse, claimAll, claimRows,
  claimValuesGreater, claimMostly, learned, countVerdicts, verdictSummary, fmtP, VERDICTS, LEARNED_ALPHA, mcnemarExact, pairedBootstrap, welchT,
  binomialUpper, binomialLower, meanSd, startNotebook, heHead, frameworkMethod, table2Attacks, attackOf, FRAMEWORKS, HE_CODE_SETTINGS,
  CIFAR10_NORMALIZATION, writeReport, formatCell, pagToyRun, pagToyPanel, pagData, gatedClaim, claimRankCorrelation, targetedRows,
  PAG_TOY_ATTACK,
} from './notebook/index';
export type { PagToyOptions, PagToyRun, PagData, LoadDataOptions, ImagenetLoadOptions, ImagenetCSource } from './notebook/index';
export type { Setting, ReportedPaper, ReportedRow, DataChoice, Provenance, LoadedData, Evaluation, NamedAttack, NamedModel, TrainSpec, Trained, OurRow, Measured, ComparisonRow, Verdict, VerdictCounts, ClaimOptions, LearnedRecord, McNemarRecord, BootstrapRecord, WelchRecord, Started, HeadKind, HeSetting, TrainAttack, Framework, AttackSizes, NotebookStatus } from './notebook/index';
export { groupedBars, linesWithBands, heatmap, histogram, scatterWithDiagonal, decisionRegions, imageGrid } from './plots/specs';

// hypersphere embedding (issue 7)
export { hypersphereHead, l2Normalize, normalizeColumns } from './models/heads/hypersphere';
export type { HypersphereHeadOptions } from './models/heads/hypersphere';
export { heLogits, heCrossEntropy, heLoss, mheLoss, heAttackLoss, heTrainingLoss, heAT, HE_DEFAULTS, MHE_DEFAULTS } from './losses/he';
export type { HeLossOptions } from './losses/he';
export { alp } from './training/alp';
export { trainingAttack, keepingState } from './training/trainingAttack';
export type { AlpOptions } from './training/alp';
export { trades } from './training/trades';
export type { TradesOptions } from './training/trades';
export { fastAT, fastATSchedule, fastATOptimizer, FAST_AT_MAX_LR } from './training/fastAT';
export type { FastATOptions } from './training/fastAT';
export { freeAT } from './training/freeAT';
export type { FreeATOptions, FreeATMethod } from './training/freeAT';
export { gradientNormRatio } from './metrics/gradientNormRatio';
export type { GradientNormRatioRecord } from './metrics/gradientNormRatio';

// 1NN vs adversarial training (issue 17)
export { nearestNeighbours, classNearest, squaredDistanceChunks, nearestNeighbourClassifier, NN_CHUNK_BYTES } from './models/nearestNeighbour';
export type { Neighbours, ClassNeighbours, NeighbourOptions } from './models/nearestNeighbour';
export { nnRobustness, classDistance } from './metrics/nnRobustness';
export type { NnSet, NnStage, NnRobustnessOptions, NnPointRecord, NnRobustnessRecord } from './metrics/nnRobustness';
export { l2PolytopeDistance, linfPolytopeDistance } from './metrics/nnPolytope';
export type { PolytopeDistance, PolytopeSolution } from './metrics/nnPolytope';
export { tradesBoth } from './training/tradesBoth';
export type { TradesBothOptions } from './training/tradesBoth';
// perceptually aligned gradients (issue 19)
export { cosineLoss, targetedInputGradients, pagTerm, pagLoss, PAG_DEFAULTS } from './losses/pag';
export type { PagLossOptions, PagReduction, GradientOf } from './losses/pag';
export { pag, drawTargets } from './training/pag';
export type { PagOptions } from './training/pag';
export { oneImage, classMean, nearestNeighbour, rigd } from './training/pagSources';
export type { GradientSource, SourceData, NearestNeighbourOptions, RigdOptions } from './training/pagSources';
export { gradientAlignment, targetedExamples, rankCorrelation } from './metrics/gradientAlignment';
export type { GradientAlignmentOptions, GradientAlignmentRecord, TargetedExamplesOptions, RankCorrelationRecord } from './metrics/gradientAlignment';
export { pagToyTensors, pagToyModel, trainAdam, pagToyField, PAG_TOY_SCALE } from './training/pagToy';
export type { AdamTrainOptions, ToyFieldRows } from './training/pagToy';
// class-wise gaps (label augmentation) and gain from neighbours (issues 18, 20)
export { firstLogits } from './models/firstLogits';
export { augmentedLabels, softCrossEntropy, labelAugmentationLoss } from './losses/labelAugmentation';
export type { LabelAugmentationOptions } from './losses/labelAugmentation';
export { labelAugmentedAT, LABEL_AUGMENTATION_ATTACK } from './training/labelAugmentedAT';
export type { LabelAugmentedATOptions } from './training/labelAugmentedAT';
export { augmentedPgd, PGD40_CLASSWISE } from './metrics/augmentedProtocols';
export type { AugmentedProtocol } from './metrics/augmentedProtocols';
export { headWeights, similarityMatrix, centroidSimilarity, topSimilar, nearRankTest, normalCdf } from './metrics/classSimilarity';
export type { NearRankTest } from './metrics/classSimilarity';
export { neighbourTargets, neighbourTable, drawNeighbourTargets, perturbTowards, neighbourPerturbation } from './training/neighbourPerturbation';
export type { NeighbourPerturbationOptions } from './training/neighbourPerturbation';
export { warmStart } from './models/warmStart';
export { BENCHMARK_CORRUPTIONS } from './data/corruptions/index';
export { facetBars } from './plots/smallMultiples';
// notebook helpers of the class-wise, neighbours and sweep work (issues 18, 20, 21)
export {
  classWiseOf, corruptionPredictions, errorsOf, corruptionErrors, measuredPercent, errorRow, gateLearned, claimPairedGreater,
  rankHistogram, corruptionRankHistograms, claimNearRanks, perturbationProfiles, corruptionAccuracy, familyAccuracy,
} from './notebook/index';
export type { CorruptionEvalOptions, CorruptionPredictions, PerturbationProfile } from './notebook/index';
export { Tasks, taskKey, shardOf, parseShard, libraryHash, canonicalJson, readTask, writeTask, taskMode } from './notebook/index';
export type { TaskSpec, Shard, Json, ReadResult, Warn } from './notebook/index';
// notebook helpers of the 1NN-vs-adversarial-training notebook (notebook 03)
export {
  allBinaryPairs, pairsOf, spacedIndices, spacedByClass, nnSetOf, pairData, percentOf, meanOf, nnProblem, theorem2Row, xorToy, paperApgd, cnnArch,
  cnnProblem, sharedProblems, figs45Rows, figs45Bars, fig6Rows, fig1Study, fig7Study, table1Rows, pooledEvaluation, nnVsTradesClaims,
  NN_EPS, CNN_METHODS, FIG45_MEASURES,
} from './notebook/index';
