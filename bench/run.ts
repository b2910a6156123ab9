/**
 * `npm run bench`: runs every benchmark section, each in a fresh process (bench/child.ts), then
 * writes bench/results/latest.json, bench/results/summary.md and bench/results/scale.svg and
 * prints the headline table. Never part of `npm test`.
 *
 *   npm run bench                          the full run (about 8-10 minutes on 2 cores; the 1,000-tenant runs dominate)
 *   npm run bench -- --quick               smaller samples, sizes 10 and 100, no run under load (203 s once on a busy 2-core machine)
 *   npm run bench -- --sections cost,cold-start --sizes 10,100,300 --deadline 120 --runs 50 --loads 10
 *   npm run bench -- --sections time-to-ready      lag behind CloudFormation and ECS, drawn durations
 *   npm run bench -- --report-only         rewrite the summary and the plot from latest.json (after changing the report)
 *
 * Only a full run (no options) writes bench/results (latest.json, and the committed summary.md and
 * scale.svg); a quick or partial run writes them to node_modules/.cache/bench/results instead.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { modelBurst } from './lib/burst-model.ts';
import { loopPassTransitions } from './lib/observer.ts';
import { startCpuLoad } from './lib/cpu-load.ts';
import { prices, pricesCheckedOn } from './lib/pricing.ts';
import { benchTiers } from './lib/requests.ts';
import type { BenchResults, ComparisonResult, ScaleResult, ScaleUnderLoad, TargetCheck } from './report/results.ts';
import { headline, scalePlot, summaryMarkdown } from './report/summary.ts';
import { outputFiles, outputNotice, runMode } from './report/outputs.ts';
import { scaleResult, scaleUnderLoad as underLoadFigures } from './report/results.ts';
import {
  coldStartTargets,
  costTargets,
  overheadTargets,
  scaleTargets,
  scaleUnderLoadTargets,
} from './report/targets.ts';
import type { ColdStartResult } from './sections/cold-start.ts';
import { modelScriptBurst, modelScriptRun } from './sections/comparison.ts';
import { realisticDurations, type CostResult } from './sections/cost.ts';
import type { OverheadResult } from './sections/overhead.ts';
import type { ScaleFigures } from './sections/scale.ts';
import {
  timeToReadyDesigns,
  timeToReadyKeys,
  timeToReadyTargets,
  type TimeToReadyDesigns,
  type TimeToReadyOutput,
} from './report/time-to-ready.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDirectory = join(projectRoot, 'node_modules', '.cache', 'bench');

const allSections = ['cost', 'overhead', 'cold-start', 'scale', 'time-to-ready'] as const;
type Section = (typeof allSections)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string' },
    sizes: { type: 'string' },
    deadline: { type: 'string' },
    runs: { type: 'string' },
    loads: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick ?? false;
const sections = (values.sections?.split(',') ?? [...allSections]) as Section[];
for (const section of sections)
  if (!allSections.includes(section))
    throw new Error(`unknown section ${section}; sections: ${allSections.join(', ')}`);
const sizes = (values.sizes ?? (quick ? '10,100' : '10,30,100,300,1000')).split(',').map(Number);
const runs = Number(values.runs ?? (quick ? 10 : 60));
const loads = Number(values.loads ?? (quick ? 3 : 10));
/** Seconds a scale run may take before it is cut, by size (the 1,000-tenant run is the one that may need it). */
const deadlineFor = (tenants: number) => Number(values.deadline ?? (tenants >= 1000 ? 240 : 120));
const mode = runMode(values);

/** Runs one section in a child process and returns its JSON result. */
async function runChild<T>(
  section: Section,
  options: Record<string, unknown>,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const resultFile = join(workDirectory, `${name}.json`);
  const logFile = join(workDirectory, 'logs', `${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join('bench', 'child.ts'), section, resultFile, JSON.stringify(options)],
    {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    log.write(chunk);
    for (const line of chunk.split('\n'))
      if (/^(cost|overhead|cold start|scale|time to ready):/.test(line)) process.stderr.write(`  ${line}\n`);
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  log.end();
  if (code !== 0) throw new Error(`the ${name} section failed (exit ${code}); see ${logFile}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as T;
}

function comparison(): ComparisonResult {
  const stackSeconds = (tier: string, operation: 'onboarding' | 'offboarding') => {
    if (tier === 'basic') return 0;
    if (operation === 'offboarding') return realisticDurations.deleteSeconds;
    return tier === 'premium'
      ? realisticDurations.createSeconds['silo-cluster']
      : realisticDurations.createSeconds['silo-services'];
  };
  const script = benchTiers.flatMap((tier) =>
    (['onboarding', 'offboarding'] as const).map((operation) =>
      modelScriptRun(tier, operation, stackSeconds(tier, operation)),
    ),
  );
  const onboardings = script.filter((model) => model.operation === 'onboarding');
  const meanBuildSeconds = onboardings.reduce((sum, model) => sum + model.buildSeconds, 0) / onboardings.length;
  const tenants = 1000;
  const config = JSON.parse(readFileSync(join(projectRoot, 'infra', 'config', 'orchestrator.json'), 'utf8')) as {
    maxConcurrentStackOperations: number;
  };
  const siloCreates = Object.values(realisticDurations.createSeconds);
  return {
    script,
    scriptBurst: modelScriptBurst(tenants, meanBuildSeconds),
    orchestratorBurst: modelBurst({
      // Tiers in turn: two of every three tenants are silo tenants.
      siloTenants: Math.round((tenants * 2) / 3),
      slots: config.maxConcurrentStackOperations,
      stackSeconds: siloCreates.reduce((sum, seconds) => sum + seconds, 0) / siloCreates.length,
      transitionsPerLook: loopPassTransitions('onboarding', 'stack'),
    }),
  };
}

const started = performance.now();
const reportOnly = values['report-only'] ?? false;
// --report-only rewrites the full run's summary from its latest.json; with --quick, the quick run's.
const previousJson = outputFiles(quick ? 'quick' : 'full', projectRoot, workDirectory).latestJson;
const previous = reportOnly ? (JSON.parse(readFileSync(previousJson, 'utf8')) as BenchResults) : undefined;
let cost: CostResult | undefined = previous?.cost;
let overhead: OverheadResult | undefined = previous?.overhead;
let coldStart: ColdStartResult | undefined = previous?.coldStart;
let scale: ScaleResult | undefined = previous?.scale === undefined ? undefined : scaleResult(previous.scale.runs);
let scaleUnderLoad: ScaleUnderLoad | undefined = previous?.scaleUnderLoad;
let timeToReady: TimeToReadyDesigns | undefined =
  previous?.timeToReadyRuns === undefined ? undefined : timeToReadyDesigns(previous.timeToReadyRuns);

if (reportOnly) {
  process.stderr.write(`rewriting the summary from ${previousJson}\n`);
} else if (sections.includes('cost')) {
  process.stderr.write('1. cost per onboarding and offboarding (simulated clock)\n');
  // The deployed functions log at INFO (Powertools' default): the cost section weighs those logs.
  cost = await runChild<CostResult>('cost', {}, 'cost', { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' });
}
if (!reportOnly && sections.includes('overhead')) {
  process.stderr.write(`2. orchestration overhead, ${runs} onboardings per tier\n`);
  overhead = await runChild<OverheadResult>('overhead', { runs }, 'overhead');
}
if (!reportOnly && sections.includes('cold-start')) {
  process.stderr.write(`3. cold-start proxies, ${loads} loads per bundle\n`);
  coldStart = await runChild<ColdStartResult>('cold-start', { loads }, 'cold-start');
}
if (!reportOnly && sections.includes('scale')) {
  const scaleRuns: ScaleFigures[] = [];
  for (const tenants of sizes) {
    process.stderr.write(`4. scale: ${tenants} tenants at once (deadline ${deadlineFor(tenants)} s)\n`);
    scaleRuns.push(
      await runChild<ScaleFigures>('scale', { tenants, deadlineSeconds: deadlineFor(tenants) }, `scale-${tenants}`),
    );
  }
  scale = scaleResult(scaleRuns);
}
// The largest burst once more, beside one CPU-burning process per core: load should slow it down,
// never fail it. A quick run skips it (it takes minutes); its deadline is twice the unloaded one's.
if (!reportOnly && sections.includes('scale') && !quick) {
  const tenants = Math.max(...sizes);
  const deadlineSeconds = 2 * deadlineFor(tenants);
  const load = startCpuLoad();
  try {
    process.stderr.write(
      `4. scale under load: ${tenants} tenants at once beside ${load.processes} CPU-burning processes (deadline ${deadlineSeconds} s)\n`,
    );
    const run = await runChild<ScaleFigures>('scale', { tenants, deadlineSeconds }, `scale-${tenants}-under-load`);
    scaleUnderLoad = underLoadFigures(run, load.processes);
  } finally {
    await load.stop();
  }
}

if (!reportOnly && sections.includes('time-to-ready')) {
  const ttrRuns = quick ? 5 : 30;
  process.stderr.write(`5. time to ready, ${ttrRuns} onboardings per tier (simulated clock, drawn durations)\n`);
  timeToReady = timeToReadyDesigns(
    await runChild<TimeToReadyOutput>('time-to-ready', { runs: ttrRuns }, 'time-to-ready'),
  );
}

const targets: TargetCheck[] = [
  ...(cost ? costTargets(cost) : []),
  ...(overhead ? overheadTargets(overhead) : []),
  ...(coldStart ? coldStartTargets(coldStart) : []),
  ...(scale ? scaleTargets(scale) : []),
  ...(scaleUnderLoad ? scaleUnderLoadTargets(scaleUnderLoad, scale) : []),
  ...(timeToReady ? timeToReadyTargets(timeToReady) : []),
];
const results: BenchResults = {
  generatedAt: previous?.generatedAt ?? new Date().toISOString(),
  mode: previous?.mode ?? mode,
  durationSeconds: previous?.durationSeconds ?? (performance.now() - started) / 1000,
  machine: previous?.machine ?? {
    node: process.version,
    cpus: cpus().length,
    loadAverage: loadavg(),
    platform: `${process.platform} ${process.arch}`,
  },
  pricesCheckedOn,
  prices,
  ...(cost ? { cost } : {}),
  ...(overhead ? { overhead } : {}),
  ...(coldStart ? { coldStart } : {}),
  ...(scale ? { scale } : {}),
  ...(scaleUnderLoad ? { scaleUnderLoad } : {}),
  ...(timeToReady ? timeToReadyKeys(timeToReady) : {}),
  comparison: comparison(),
  targets,
};
// Only a full run replaces the committed summary; a quick or partial one writes beside the cache.
const outputs = outputFiles(results.mode, projectRoot, workDirectory);
mkdirSync(dirname(outputs.summaryMarkdown), { recursive: true });
writeFileSync(outputs.latestJson, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(outputs.summaryMarkdown, summaryMarkdown(results));
if (scale) writeFileSync(outputs.scaleSvg, scalePlot(scale));
process.stdout.write(`\n${headline(results, outputs.summaryMarkdown)}\n`);
process.stdout.write(
  `${outputNotice(results.mode, outputs, outputFiles('full', projectRoot, workDirectory).summaryMarkdown)}\n`,
);
