/**
 * bench/results/summary.md, the scale plot, and the headline table printed at the end of a run.
 */
import { renderPlot, type PlotSeries } from '../lib/svg-plot.ts';
import { isCleanRun, type BenchResults, type ScaleResult, type TargetCheck } from './results.ts';
import { benchTiers } from '../lib/requests.ts';
import { timeToReadyDesigns, timeToReadySection } from './time-to-ready.ts';
import {
  comparisonSection,
  coldStartSection,
  costSection,
  overheadSection,
  scaleSection,
  scaleUnderLoadSection,
} from './summary-sections.ts';
import { markdownTable, textTable, type Row } from './tables.ts';
import { costBasis, dollars } from './targets.ts';

/** `met`, `MISSED`, or `not measured` for a target the run has no figure for. */
export function targetResult(check: TargetCheck): string {
  if (check.notMeasured) return 'not measured';
  return check.met ? 'met' : 'MISSED';
}

function targetRows(results: BenchResults): Row[] {
  return results.targets.map((check) => [check.target, check.measured, targetResult(check)]);
}

/** The figures people ask for first, one line each. */
function headlineRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  for (const run of results.cost?.runs ?? []) {
    rows.push([
      `cost (${costBasis}): ${run.tier} ${run.workflow}`,
      `${dollars(run.cost.total)}  (${run.billedTransitions} transitions, ${run.lambdaInvocations} invocations, ${run.readUnits} RRU / ${run.writeUnits} WRU)`,
    ]);
  }
  for (const tier of results.overhead?.tiers ?? []) {
    rows.push([
      `overhead (local runtime): ${tier.tier}`,
      `p50 ${tier.overheadMs.p50.toFixed(0)} ms, p95 ${tier.overheadMs.p95.toFixed(0)} ms (${tier.runs} runs)`,
    ]);
  }
  const bundles = results.coldStart?.bundles ?? [];
  if (bundles.length > 0) {
    const sizes = bundles.map((bundle) => bundle.bytes / 1024);
    const loads = bundles.map((bundle) => bundle.importMs);
    const ratios = bundles.map((bundle) => bundle.importRatio);
    rows.push([
      'bundles',
      `${Math.min(...sizes).toFixed(0)}-${Math.max(...sizes).toFixed(0)} KiB, import ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}× the SDK's DynamoDB clients alone (${Math.min(...loads).toFixed(0)}-${Math.max(...loads).toFixed(0)} ms on this machine)`,
    ]);
  }
  for (const run of results.scale?.runs ?? []) {
    rows.push([
      `scale (local runtime): ${run.tenants} at once`,
      `${run.seconds.toFixed(1)} s${run.finished ? '' : ' (deadline)'}, ${run.succeeded} ok, ${run.failed} failed, ${run.unfinished} unfinished, peak ${run.peakRssMiB} MiB`,
    ]);
  }
  const underLoad = results.scaleUnderLoad;
  if (underLoad !== undefined) {
    rows.push([
      `scale under load (local runtime): ${underLoad.tenants} at once, ${underLoad.cpuBurners} CPU burners`,
      `${underLoad.seconds.toFixed(1)} s${underLoad.finished ? '' : ' (deadline)'}, ${underLoad.failed} failed, ${underLoad.unfinished} unfinished`,
    ]);
  }
  for (const [design, byTier] of [
    ['event-driven', results.timeToReady],
    ['polling', results.timeToReadyPolling],
  ] as const) {
    for (const tier of benchTiers) {
      const figures = byTier?.[tier];
      if (figures === undefined) continue;
      rows.push([
        `time to ready (${design}; local runtime, simulated clock): ${tier}`,
        `lag p50 ${figures.lagSecondsP50} s, p95 ${figures.lagSecondsP95} s, ${figures.billedTransitions} transitions`,
      ]);
    }
  }
  for (const model of results.comparison?.script.filter((entry) => entry.operation === 'onboarding') ?? []) {
    rows.push([
      `script job: ${model.tier} onboarding`,
      `${dollars(model.total)}, ${(model.buildSeconds / 60).toFixed(1)} build minutes (modelled)`,
    ]);
  }
  return rows;
}

/** The text printed at the end of `npm run bench`. */
export function headline(results: BenchResults, summaryPath = 'bench/results/summary.md'): string {
  return [
    textTable(['Figure', 'Value'], headlineRows(results)),
    '',
    textTable(['Target', 'Measured', 'Result'], targetRows(results)),
    '',
    `Whole run: ${results.durationSeconds.toFixed(0)} s. Details: ${summaryPath}`,
  ].join('\n');
}

/** The scale runs as an SVG chart: seconds against tenants, with the linear fit. */
export function scalePlot(scale: ScaleResult): string {
  const measured = scale.runs.map((run) => ({ x: run.tenants, y: run.seconds }));
  const clean = scale.runs.filter(isCleanRun).map((run) => ({ x: run.tenants, y: run.seconds }));
  const failing = scale.runs.filter((run) => !isCleanRun(run)).map((run) => ({ x: run.tenants, y: run.seconds }));
  const series: PlotSeries[] = [{ label: 'every tenant onboarded', points: clean, color: '#1f77b4', line: true }];
  if (failing.length > 0)
    series.push({
      label: 'with failures, or cut at the deadline (time not comparable)',
      points: failing,
      color: '#d62728',
    });
  if (scale.fit !== undefined) {
    const maxX = Math.max(...measured.map((point) => point.x));
    const minX = Math.min(...clean.map((point) => point.x));
    const { intercept, slope } = scale.fit;
    series.push({
      label: `linear fit over those: ${intercept.toFixed(1)} s + ${(slope * 1000).toFixed(1)} ms/tenant`,
      points: [
        { x: minX, y: Math.max(0, intercept + slope * minX) },
        { x: maxX, y: Math.max(0, intercept + slope * maxX) },
      ],
      color: '#ff7f0e',
      line: true,
      dashed: true,
      markers: false,
    });
  }
  return renderPlot({
    title: 'Onboarding N tenants at once (local runtime)',
    xLabel: 'tenants',
    yLabel: 'seconds until every execution ended',
    series,
  });
}

/** The whole of bench/results/summary.md. */
export function summaryMarkdown(results: BenchResults): string {
  const missed = results.targets.filter((check) => !check.met && !check.notMeasured);
  const unmeasured = results.targets.filter((check) => check.notMeasured);
  const parts = [
    '# Benchmark results',
    '',
    ...(results.mode === 'full'
      ? []
      : [`> A ${results.mode} run: smaller samples or missing sections. Commit only the summary of a full run.`, '']),
    `Generated by \`npm run bench\` on ${results.generatedAt} in ${results.durationSeconds.toFixed(0)} s (node ${results.machine.node}, ${results.machine.cpus} CPUs, load average ${results.machine.loadAverage.map((value) => value.toFixed(1)).join(' / ')} at the end: timings move with the machine's load). How to run and read these: [docs/benchmarks.md](../../docs/benchmarks.md). Prices are list prices checked ${results.pricesCheckedOn} and must be re-checked.`,
    '',
    '## Targets',
    '',
    markdownTable(['Target', 'Measured', 'Result'], targetRows(results)),
    '',
    ...(missed.length === 0
      ? [unmeasured.length === 0 ? 'Every target is met.' : 'Every target measured is met.', '']
      : missed.flatMap((check) => [
          `**${check.target}: missed.** ${check.why ?? ''}`,
          '',
          `*What would close the gap:* ${check.closeTheGap ?? ''}`,
          '',
        ])),
    ...unmeasured.flatMap((check) => [`**${check.target}: not measured in this run.** ${check.why ?? ''}`, '']),
  ];
  if (results.cost) parts.push(costSection(results.cost), '');
  if (results.overhead) parts.push(overheadSection(results.overhead), '');
  if (results.coldStart) parts.push(coldStartSection(results.coldStart), '');
  if (results.scale) parts.push(scaleSection(results.scale), '');
  if (results.scaleUnderLoad) parts.push(scaleUnderLoadSection(results.scaleUnderLoad, results.scale), '');
  if (results.timeToReadyRuns) parts.push(timeToReadySection(timeToReadyDesigns(results.timeToReadyRuns)), '');
  if (results.comparison) parts.push(comparisonSection(results.comparison, results.cost, results.overhead), '');
  return `${parts
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
