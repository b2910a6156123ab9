/**
 * The Markdown sections of bench/results/summary.md, one function per benchmark section.
 */
import { lambdaGbSeconds, lambdaMemoryMb, prices, pricesCheckedOn, workflowCost } from '../lib/pricing.ts';
import type { ColdStartResult } from '../sections/cold-start.ts';
import type { CostResult, WorkflowFigures } from '../sections/cost.ts';
import type { OverheadResult } from '../sections/overhead.ts';
import type { ScaleFigures } from '../sections/scale.ts';
import { roundTripsPerTenant, type ComparisonResult, type ScaleResult, type ScaleUnderLoad } from './results.ts';
import { markdownTable } from './tables.ts';
import { compareWithUnloaded, costBasis, dollars, loadFailureVerdict } from './targets.ts';

const kib = (bytes: number) => (bytes / 1024).toFixed(0);

/** `$0.025 per 1,000` style: small prices per million or thousand units, others as they are. */
export function unitPrice(dollars: number): string {
  if (dollars >= 0.001) return `$${Number(dollars.toPrecision(6))}`;
  if (dollars >= 1e-5) return `$${Number((dollars * 1e3).toPrecision(6))} per 1,000`;
  return `$${Number((dollars * 1e6).toPrecision(6))} per 1M`;
}
const label = (run: WorkflowFigures) => `${run.tier} ${run.workflow}`;

/** Milliseconds per invocation assumed for the Lambda-duration sensitivity line (AWS API latency, not measured here). */
export const awsLatencyMsPerInvocation = 200;

/** Section 1: per-run counts, SDK calls by API, the cost breakdown and the prices used. */
export function costSection(cost: CostResult): string {
  const runs = cost.runs;
  const overview = markdownTable(
    [
      'Run',
      'Status',
      'States entered',
      'Retries',
      'Billed transitions',
      'Lambda invocations',
      'Stack / services looks (schedule)',
      'RRU',
      'WRU',
      'Events',
      'Simulated s',
      `Requests (${costBasis})`,
      'Logs + X-Ray (estimated)',
      `Total (${costBasis})`,
    ],
    runs.map((run) => [
      label(run),
      run.status,
      String(run.stateEntered),
      String(run.retries),
      String(run.billedTransitions),
      String(run.lambdaInvocations),
      run.loops.length === 0
        ? '—'
        : run.loops.map((loop) => `${loop.loop} ${loop.looks} (${loop.expectedLooks})`).join(', '),
      String(run.readUnits),
      String(run.writeUnits),
      String(run.events),
      String(run.simulatedSeconds),
      dollars(run.cost.requests),
      dollars(run.cost.logs + run.cost.traces),
      dollars(run.cost.total),
    ]),
  );
  const apis = [...new Set(runs.flatMap((run) => Object.keys(run.sdkCalls)))].sort();
  const calls = markdownTable(
    ['SDK call', ...runs.map(label)],
    apis.map((api) => [api, ...runs.map((run) => String(run.sdkCalls[api] ?? 0))]),
  );
  const breakdown = markdownTable(
    ['Run', 'Step Functions', 'Lambda requests', 'Lambda GB-s', 'DynamoDB', 'EventBridge', 'CloudWatch Logs', 'X-Ray'],
    runs.map((run) => [
      label(run),
      dollars(run.cost.stepFunctions),
      dollars(run.cost.lambdaRequests),
      dollars(run.cost.lambdaDuration),
      dollars(run.cost.dynamoDb),
      dollars(run.cost.eventBridge),
      `${dollars(run.cost.logs)} (${kib(run.handlerLogBytes)} KiB handlers, ${kib(run.stepFunctionsLogBytes)} KiB Step Functions, ${kib(run.platformLogBytes)} KiB platform)`,
      dollars(run.cost.traces),
    ]),
  );
  // A DescribeStacks refused with ValidationError is how CloudFormation answers for a stack that does not exist (yet).
  const errors = runs.flatMap((run) =>
    Object.entries(run.sdkErrors).map(
      ([error, count]) =>
        `${label(run)}: ${count} × ${error}${error === 'CloudFormation DescribeStacks ValidationError' ? ' (a stack not there yet, or gone)' : ''}`,
    ),
  );
  const sensitivity = runs.map((run) => {
    const slower = workflowCost({
      stateTransitions: run.billedTransitions,
      lambdaInvocations: run.lambdaInvocations,
      lambdaDurationsMs: run.lambdaDurationsMs.map((ms) => Math.max(ms, awsLatencyMsPerInvocation)),
      readRequestUnits: run.readUnits,
      writeRequestUnits: run.writeUnits,
      events: run.events,
    });
    return `${label(run)} ${dollars(slower.lambdaDuration - run.cost.lambdaDuration)}`;
  });
  const durations = cost.durations;
  return [
    '## 1. Cost per onboarding and offboarding',
    '',
    `Simulated cloud (a clock the benchmark jumps to the local cloud's next change while a wait is open; the waits end on the local cloud's CloudFormation and ECS events): silo-services stack ${durations.createSeconds['silo-services']} s, silo-cluster stack ${durations.createSeconds['silo-cluster']} s, delete ${durations.deleteSeconds} s, services steady ${durations.servicesStartSeconds} s after their stack. "Looks" are the loop's Task invocations; in brackets what the event-driven waits predict (the stack loop's first look and one after the event; the services loop's one look); a fallback look would add to them. A warm-up tenant of each tier runs first. Dollar figures are this run's counts on the local runtime priced at list prices, not a measured bill.`,
    '',
    overview,
    '',
    'Every AWS call the handlers made (failed ones included), per run:',
    '',
    calls,
    '',
    errors.length === 0 ? 'No call failed.' : `Failed calls: ${errors.join('; ')}.`,
    '',
    `The bill by line (${costBasis}; logs and X-Ray partly estimated, see below):`,
    '',
    breakdown,
    '',
    `- Request units come from DynamoDB's own accounting (ReturnConsumedCapacity, as dynalite computes it from item sizes: 1 RRU per 4 KB strongly consistent, 1 WRU per KB), with a minimum of one unit per request; each refused conditional write counts 1 WRU.`,
    `- Lambda duration is priced at ${lambdaMemoryMb} MB, the memory the CDK construct gives every function (infra/constructs/orchestrator-function.ts); the durations are the Task states' wall times here (${runs.map((run) => `${label(run)} ${lambdaGbSeconds(run.lambdaDurationsMs).toFixed(4)} GB-s`).join(', ')}), where the simulated services answer in-process. In AWS each call waits on the service: at ${awsLatencyMsPerInvocation} ms per invocation the duration line would add ${sensitivity.join(', ')}.`,
    "- Events: the control plane's request plus the reply the workflow puts. CloudFormation, ECS and ELB API calls are free; CloudFormation charges nothing for AWS:: resource types.",
    "- Logs: the handlers' own output at INFO (measured); Step Functions log records (level ALL, no execution data) and Lambda platform records are estimated per event (bench/sections/cost-extras.ts). X-Ray: one trace per execution (an upper bound: sampling records fewer).",
    '- Free tiers (4,000 transitions, 1M Lambda requests a month...) are left out: they would make the first tenants free.',
    '',
    `Prices (us-east-1, on-demand, checked ${pricesCheckedOn}; re-check them before quoting these figures):`,
    '',
    markdownTable(
      ['Price', 'Dollars', 'Per', 'Source'],
      Object.entries(prices).map(([name, price]) => [
        name,
        unitPrice(price.dollars),
        price.per,
        `${price.source}${'unconfirmed' in price ? ' (from memory, not confirmed)' : ''}`,
      ]),
    ),
  ].join('\n');
}

/** Section 2: overhead percentiles and where the time goes. */
export function overheadSection(overhead: OverheadResult): string {
  const t = overhead.timings;
  return [
    '## 2. Orchestration overhead per onboarding (local runtime)',
    '',
    `Wall time from the request on the bus to the end of the execution, minus the time spent in Wait states (the simulated cloud time: stacks ${t.createMs} ms, services ${t.startMs} ms, waits ${t.waitMs} ms). ${overhead.tiers[0]?.runs ?? 0} onboardings per tier after 3 warm-up runs, one at a time. Milliseconds move with the machine's load; after each onboarding the run times a baseline in the same process (the median of five DynamoDB ListTables round trips through the handlers' client) and "In DynamoDB round trips" divides each overhead by it.`,
    '',
    markdownTable(
      [
        'Tier',
        'Runs',
        'Failed',
        'Overhead p50',
        'Overhead p95',
        'In DynamoDB round trips p50 / p95',
        'Mean',
        'Max',
        'Before first state p50 / p95',
        'From first state p50 / p95',
        'Wall p50 / p95',
        'Waits p50',
      ],
      overhead.tiers.map((tier) => [
        tier.tier,
        String(tier.runs),
        String(tier.failed),
        `${tier.overheadMs.p50.toFixed(0)} ms`,
        `${tier.overheadMs.p95.toFixed(0)} ms`,
        `${tier.overheadRatio.p50.toFixed(0)} / ${tier.overheadRatio.p95.toFixed(0)} (round trip ${tier.baselineMs.p50.toFixed(1)} ms)`,
        `${tier.overheadMs.mean.toFixed(0)} ms`,
        `${tier.overheadMs.max.toFixed(0)} ms`,
        `${tier.startMs.p50.toFixed(0)} / ${tier.startMs.p95.toFixed(0)} ms`,
        `${tier.inWorkflowMs.p50.toFixed(0)} / ${tier.inWorkflowMs.p95.toFixed(0)} ms`,
        `${tier.wallMs.p50.toFixed(0)} / ${tier.wallMs.p95.toFixed(0)} ms`,
        `${tier.waitMs.p50.toFixed(0)} ms`,
      ]),
    ),
    '',
    'Mean milliseconds per Task state and onboarding:',
    '',
    ...overhead.tiers.map(
      (tier) =>
        `- ${tier.tier}: ${Object.entries(tier.meanTaskMs)
          .map(([state, ms]) => `${state} ${ms.toFixed(1)}`)
          .join(', ')}`,
    ),
    '',
    'Before the first state: the bus delivering the request and the local runner loading the definition and starting aws-local-stepfunctions (which validates a definition the first time a process runs it, excluded here by the warm-up runs). From the first state on: the handlers (DynamoDB over HTTP to dynalite, simulated answers in-process) and the interpreter between states.',
  ].join('\n');
}

/** Section 3: bundle sizes and import times. */
export function coldStartSection(coldStart: ColdStartResult): string {
  return [
    '## 3. Cold-start proxies (this machine)',
    '',
    `Each function bundled with the CDK construct's esbuild settings (ESM, minify, source map, node24, external @aws-sdk/*, mainFields module,main) into node_modules/.cache/bench, then imported by a fresh \`node\` (${coldStart.nodeVersion}) on this machine with the test environment; medians of ${coldStart.bundles[0]?.loads ?? 0} processes. "Deployed" sets NODE_OPTIONS=--enable-source-maps as the functions do. "SDK only" imports just the bundle's external @aws-sdk packages. Milliseconds move with the machine's load; "× baseline" does not as much: each bundle load is followed by a load of the baseline (${coldStart.baselineModules.join(' and ')} alone) and the column is the median of the pairs' ratios.`,
    '',
    markdownTable(
      [
        'Function',
        'Bundle',
        'Source map',
        'Import (deployed)',
        '× baseline',
        'Baseline',
        'Without source maps',
        'SDK only',
        'Process start to handler',
        'Largest inputs',
      ],
      coldStart.bundles.map((bundle) => [
        bundle.function,
        `${kib(bundle.bytes)} KiB`,
        `${kib(bundle.sourceMapBytes)} KiB`,
        `${bundle.importMs.toFixed(0)} ms`,
        `${bundle.importRatio.toFixed(2)}×`,
        `${bundle.baselineImportMs.toFixed(0)} ms`,
        `${bundle.importMsWithoutSourceMaps.toFixed(0)} ms`,
        `${bundle.externalsImportMs.toFixed(0)} ms (${bundle.externals.length} packages)`,
        `${bundle.sinceProcessStartMs.toFixed(0)} ms`,
        bundle.topInputs
          .slice(0, 3)
          .map((input) => `${input.input} ${kib(input.bytes)} KiB`)
          .join(', '),
      ]),
    ),
    '',
    `The baseline (${coldStart.baselineModules.join(' and ')} alone) took ${coldStart.dynamoDbOnlyImportMs.toFixed(0)} ms (median over the run). In Lambda the SDK comes from the runtime's own copy and the init phase runs on a full CPU, so these are proxies, not Lambda init durations.`,
  ].join('\n');
}

/** A scale run's milliseconds per tenant over its baseline, with the baseline; a dash without one. */
function perTenantInRoundTrips(run: ScaleFigures): string {
  const ratio = roundTripsPerTenant(run);
  return ratio === undefined ? '—' : `${ratio.toFixed(1)} (${run.baselineRoundTripMs?.toFixed(2)} ms)`;
}

/** Section 4: the scale runs, their failures and the fit. */
export function scaleSection(scale: ScaleResult): string {
  const first = scale.runs[0];
  const rows = scale.runs.map((run) => [
    String(run.tenants),
    `${run.seconds.toFixed(1)} s${run.finished ? '' : ' (deadline)'}`,
    String(run.succeeded),
    String(run.failed),
    String(run.unfinished),
    `${run.throughputPerSecond.toFixed(1)}/s`,
    perTenantInRoundTrips(run),
    `${run.peakRssMiB} MiB`,
    `${run.maxRssMiB} MiB`,
    String(run.failedConditionalWritesPerTenant),
    String(
      Object.entries(run.sdkCallsPerTenant)
        .filter(([call]) => call.startsWith('DynamoDB'))
        .reduce((sum, [, count]) => sum + count, 0)
        .toFixed(1),
    ),
  ]);
  const failures = scale.runs.flatMap((run) =>
    Object.keys(run.failures).length === 0
      ? []
      : [
          `- ${run.tenants} tenants: ${Object.entries(run.failures)
            .map(
              ([failure, count]) =>
                `${count} × ${failure}${run.failureCauses[failure] ? ` ("${run.failureCauses[failure]}")` : ''}`,
            )
            .join('; ')}`,
        ],
  );
  const fit = scale.fit;
  return [
    '## 4. Scale: tenants onboarded at once (local runtime)',
    '',
    first === undefined
      ? ''
      : `Basic, advanced and premium in turn, all requests put on the bus at once; simulated stacks ${first.timings.createMs} ms, waits ${first.timings.waitMs} ms; ${first.routeListeners.count} listeners of ${first.routeListeners.capacity} rules. A fresh process per size; a run is cut at its deadline. Seconds move with the machine's load: just before each burst its process times DynamoDB round trips (the median is the baseline, in brackets), and "Per tenant, in DynamoDB round trips" is the run's milliseconds per tenant over it.`,
    '',
    markdownTable(
      [
        'Tenants',
        'Time',
        'Succeeded',
        'Failed',
        'Unfinished',
        'Throughput',
        'Per tenant, in DynamoDB round trips',
        'Peak RSS (sampled)',
        'maxRSS',
        'Refused conditional writes per tenant',
        'DynamoDB calls per tenant',
      ],
      rows,
    ),
    '',
    ...(failures.length === 0 ? ['No failures.'] : ['Failures by state and error:', '', ...failures]),
    '',
    fit === undefined
      ? 'Fewer than two runs onboarded every tenant: no fit.'
      : `Linear fit over the runs that onboarded every tenant (a run with failures ended early, so its time is not comparable): time ≈ ${fit.intercept.toFixed(2)} s + ${(fit.slope * 1000).toFixed(1)} ms × tenants (R² ${fit.r2.toFixed(3)}); growth exponent k = ${scale.growthExponent?.toFixed(2)} on seconds${scale.growthExponentInRoundTrips === undefined ? '' : `, ${scale.growthExponentInRoundTrips.toFixed(2)} on time in round trips`} (time ≈ c·tenants^k; 1 is linear).`,
    '',
    '![Time to onboard N tenants at once](scale.svg)',
  ].join('\n');
}

/** Section 4, continued: the largest burst once more, beside one CPU-burning process per core. */
export function scaleUnderLoadSection(underLoad: ScaleUnderLoad, scale: ScaleResult | undefined): string {
  const comparison = compareWithUnloaded(underLoad, scale);
  const { baseline } = comparison;
  const succeeded = underLoad.tenants - underLoad.failed - underLoad.unfinished;
  const outcome = underLoad.finished
    ? `every execution ended after ${underLoad.seconds.toFixed(1)} s${baseline === undefined || !comparison.timeComparable ? '' : ` (${(underLoad.seconds / baseline.seconds).toFixed(1)}× the ${baseline.seconds.toFixed(1)} s of the same burst without the load)`}`
    : `the run was cut at its ${underLoad.deadlineSeconds} s deadline with ${underLoad.unfinished} executions still running`;
  const verdict =
    underLoad.failed === 0 && underLoad.unfinished === 0
      ? 'The load slowed the burst down and failed none of it.'
      : underLoad.failed === 0
        ? 'No execution failed, but the load kept part of the burst from ending before the deadline.'
        : loadFailureVerdict(underLoad, comparison);
  const failures = Object.entries(underLoad.failures)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([failure, count]) =>
        `- ${count} × ${failure}${underLoad.failureCauses[failure] ? ` ("${underLoad.failureCauses[failure]}")` : ''}`,
    );
  return [
    '### Under load',
    '',
    `The ${underLoad.tenants}-tenant burst once more, with ${underLoad.cpuBurners} CPU-burning processes beside it (one per core): ${outcome}; ${succeeded} succeeded, ${underLoad.failed} failed. ${verdict ?? ''}`.trimEnd(),
    ...(failures.length === 0 ? [] : ['', 'Failures by state and error:', '', ...failures]),
  ].join('\n');
}

/** Section 5: the script-based approach, modelled, beside the measured figures. */
export function comparisonSection(
  comparison: ComparisonResult,
  cost: CostResult | undefined,
  overhead: OverheadResult | undefined,
): string {
  const ours = (tier: string, operation: string) =>
    cost?.runs.find((run) => run.tier === tier && run.workflow === operation);
  const basicOverheadMs = overhead?.tiers.find((tier) => tier.tier === 'basic')?.overheadMs.p50;
  const worstOverheadP95Ms =
    overhead === undefined || overhead.tiers.length === 0
      ? undefined
      : Math.max(...overhead.tiers.map((tier) => tier.overheadMs.p95));
  const rows = comparison.script.map((model) => {
    const run = ours(model.tier, model.operation);
    return [
      `${model.tier} ${model.operation}`,
      run === undefined ? '—' : dollars(run.cost.total),
      dollars(model.total),
      dollars(model.codeBuildArmSmall + model.orchestration.total),
      run === undefined
        ? '—'
        : run.simulatedSeconds > 0
          ? `${(run.simulatedSeconds / 60).toFixed(1)} min`
          : `no stack: its overhead${basicOverheadMs === undefined ? '' : `, ${basicOverheadMs.toFixed(0)} ms locally`}`,
      `${(model.buildSeconds / 60).toFixed(1)} min`,
    ];
  });
  const phases =
    comparison.script.find((model) => model.tier === 'premium' && model.operation === 'onboarding')?.phases ?? [];
  const burst = comparison.scriptBurst;
  const mine = comparison.orchestratorBurst;
  return [
    '## 5. Compared with script-based provisioning (CodeBuild running `cdk deploy` per tenant)',
    '',
    "The AWS SaaS reference architectures provision through the SaaS Builder Toolkit's ScriptJob: a Step Functions execution starts a CodeBuild build (general1.small by default, Amazon Linux image) and waits for it; the build installs Node, npm, jq and the AWS CDK, fetches the app, runs `npm install` and, for silo tiers, `cdk deploy` (offboarding: `cdk destroy`). Modelled, not run: every figure below is sourced or marked as an estimate.",
    '',
    markdownTable(
      [
        'Run',
        `This orchestrator (${costBasis})`,
        'Script job, general1.small (modelled)',
        'Script job, arm1.small (modelled)',
        'This orchestrator: time to done (simulated clock)',
        'Script job: build time (modelled)',
      ],
      rows,
    ),
    '',
    'Build phases assumed for a premium onboarding:',
    '',
    markdownTable(
      ['Phase', 'Seconds', 'Kind', 'Source'],
      phases.map((phase) => [phase.name, String(phase.seconds), phase.kind, phase.source]),
    ),
    '',
    `Script job cost = build minutes (rounded up) × ${dollars(prices.codeBuildGeneral1SmallMinute.dollars)}, plus its state machine (2 transitions), 2 events, ~150 KiB of build log and a trace. "Time to done" for this orchestrator is the simulated wait until its last look; its own overhead (section 2) ${worstOverheadP95Ms === undefined ? 'was not measured in this run' : `was at most ${worstOverheadP95Ms.toFixed(0)} ms (p95) on the local runtime`}.`,
    '',
    `A burst of ${burst.tenants} onboardings: CodeBuild runs ${burst.codeBuildConcurrency} builds at once (assumed) and queues at most ${burst.codeBuildQueueLimit}, so ${burst.scriptRejected} StartBuild calls fail and the ScriptJob reports those tenants as failed unless the control plane retries; the accepted ones finish after ${burst.scriptMakespanHours.toFixed(1)} h, and all ${burst.tenants} (had the control plane retried the refused ones) after ${burst.scriptMakespanAllHours.toFixed(1)} h. This orchestrator needs no build: pool tenants finish in seconds, and ${mine.siloTenants} silo tenants go through ${mine.slots} stack-operation slots (MAX_STACK_OPERATIONS), finishing after about ${mine.makespanHours.toFixed(1)} h (modelled, CloudFormation's own pace assumed unchanged). Queued executions keep polling: ${mine.meanExtraLooks.toFixed(0)} extra looks per silo tenant on average, ${dollars(mine.meanExtraCost)} more per onboarding.`,
    '',
    `Sources: ${burst.sources.join('; ')}; SaaS Builder Toolkit src/core-app-plane/script-job.ts (codebuild.Project with LinuxBuildImage.AMAZON_LINUX_2_5 and no computeType, so CDK's default SMALL; StateMachine startCodeBuild RUN_JOB then PutEvents); aws-samples/saas-reference-architecture-ecs scripts/provision-tenant.sh, deprovision-tenant.sh.`,
  ].join('\n');
}
