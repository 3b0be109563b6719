/**
 * Everything a notebook needs besides the library itself: display (plots, tables, images, Markdown),
 * progress bars, validated profiles, the paper's reported numbers (schema-checked), data provenance, the
 * experiment kit (train named models, evaluate under named attacks, seeds, paper-beside-ours tables) and
 * three-valued claim verdicts decided by stated tests.
 * @module
 */
export { show, table, markdown, plotBundle, tableBundle, renderSvg, inNotebook, sendBundle, newDisplayId } from './display';
export type { Bundle, VegaLiteSpec } from './display';
export { showImages, imageGridPng, imageGridBundle, amplify } from './images';
export type { ImageRow, ImageGridOptions } from './images';
export { progressBar } from './progress';
export type { ProgressOptions } from './progress';
export type { ProgressSink } from '../training/progress';
export { profile, profileRows, Results, PROFILE_NAMES } from './profile';
export type { ProfileName, Setting } from './profile';
export { reported, parseReported, paperValue } from './reported';
export type { ReportedPaper, ReportedRow } from './reported';
export { loadData, provenanceLine } from './provenance';
export type { DataChoice, Provenance, LoadedData, LoadDataOptions, ImagenetLoadOptions, ImagenetCSource } from './provenance';
export { evaluateModel, accuracyOf, measureOf, correctOn, viewAs, joinMeasures } from './evaluation';
export type { Evaluation, NamedAttack, NamedModel } from './evaluation';
export { trainNamed, runSeeds, aggregate, plainRow, compareRows, spreadNote, labelled } from './experiment';
export type { TrainSpec, Trained, OurRow, Measured, ComparisonRow } from './experiment';
export { claimGreater, claimNotWorse, claimAll, claimRows, claimValuesGreater, claimMostly, learned, countVerdicts, verdictSummary, fmtP, VERDICTS, LEARNED_ALPHA } from './claims';
export type { ClaimVerdict, Verdict, VerdictCounts, ClaimOptions, LearnedRecord } from './claims';
export { mcnemarExact, pairedBootstrap, welchT, binomialUpper, binomialLower, meanSd } from './stats';
export type { McNemarRecord, BootstrapRecord, WelchRecord } from './stats';
export { startNotebook } from './start';
export type { Started } from './start';
export * from '../plots/index';
export { heHead, frameworkMethod, table2Attacks, attackOf, FRAMEWORKS, HE_CODE_SETTINGS, CIFAR10_NORMALIZATION } from './he';
export { classWiseOf, corruptionPredictions, errorsOf, corruptionErrors, measuredPercent, errorRow, gateLearned } from './classwise';
export type { CorruptionEvalOptions, CorruptionPredictions } from './classwise';
export type { HeadKind, HeSetting, TrainAttack, Framework, AttackSizes } from './he';
export { writeReport, formatCell } from './report';
export type { NotebookStatus } from './report';
export { rankHistogram, corruptionRankHistograms, claimNearRanks, perturbationProfiles, corruptionAccuracy, familyAccuracy } from './neighbours';
export type { PerturbationProfile } from './neighbours';
export { Tasks, taskKey, shardOf, parseShard, libraryHash, canonicalJson, readTask, writeTask, taskMode } from './tasks';
export type { TaskSpec, Shard, Json, ReadResult, Warn } from './tasks';
export { claimPairedGreater } from './pairedClaims';
export { pagToyRun, pagToyPanel, pagData, gatedClaim, claimRankCorrelation, targetedRows, PAG_TOY_ATTACK } from './pag';
export type { PagToyOptions, PagToyRun, PagData } from './pag';
export { allBinaryPairs, pairsOf, spacedIndices, spacedByClass, nnSetOf, pairData, percentOf, meanOf, nnProblem, theorem2Row, xorToy, paperApgd, cnnArch, cnnProblem, sharedProblems, figs45Rows, figs45Bars, fig6Rows, fig1Study, fig7Study, table1Rows, pooledEvaluation, nnVsTradesClaims, NN_EPS, CNN_METHODS, FIG45_MEASURES } from './nnVsTrades';
export type { Pair, Row, Vectors, NnBudget, NnProblem, ToyPanel, CnnSizes, KeptModel, CnnProblem, Comparison, ClaimInputs } from './nnVsTrades';
