/**
 * Section 5, the comparison: the same figures for the script-based provisioning of the AWS SaaS
 * reference architectures, modelled from public pricing and public sources, since it cannot be
 * run here. In that approach (SaaS Builder Toolkit's ScriptJob, used by
 * aws-samples/saas-reference-architecture-ecs), each onboarding starts a Step Functions
 * execution that runs a CodeBuild build (.sync), and the build installs Node, the AWS CDK and the
 * app's dependencies, then runs `cdk deploy` for a silo tenant. Every number below carries its
 * source or says it is an estimate.
 */
import { codeBuildCost, prices, workflowCost, type CostBreakdown } from '../lib/pricing.ts';
import type { BenchTier } from '../lib/requests.ts';

/** Where a figure comes from. */
export interface Assumption {
  readonly name: string;
  readonly seconds: number;
  readonly source: string;
  readonly kind: 'reported' | 'code' | 'estimate' | 'same-as-section-1';
}

const ecsScript = 'aws-samples/saas-reference-architecture-ecs scripts/provision-tenant.sh and deprovision-tenant.sh';

/** Build phases, in seconds. The CloudFormation phases take the durations section 1 simulates. */
export function scriptPhases(
  tier: BenchTier,
  operation: 'onboarding' | 'offboarding',
  stackSeconds: number,
): Assumption[] {
  const silo = tier !== 'basic';
  const phases: Assumption[] = [
    {
      name: 'CodeBuild queue and PROVISIONING',
      seconds: 90,
      source:
        'aws/aws-codebuild-docker-images#526: "provisioning times exceed 90 seconds per run" (180-190 s reported for ARM images in #793)',
      kind: 'reported',
    },
    {
      name: 'install tools: yum update, nodejs, npm, jq, pip, npm install -g aws-cdk',
      seconds: 120,
      source: `estimate; the commands are those of ${ecsScript}`,
      kind: 'estimate',
    },
  ];
  if (operation === 'onboarding' || silo) {
    phases.push({
      name: 'fetch the app source and npm install',
      seconds: 60,
      source: `estimate; the scripts (${ecsScript}) do it for every ${operation === 'onboarding' ? 'onboarding' : 'silo offboarding'}`,
      kind: 'estimate',
    });
  }
  if (silo) {
    phases.push(
      {
        name: 'cdk synth of the tenant stack (inside cdk deploy/destroy)',
        seconds: 45,
        source: 'estimate',
        kind: 'estimate',
      },
      { name: 'asset publishing and change set', seconds: 30, source: 'estimate', kind: 'estimate' },
      {
        name: operation === 'onboarding' ? 'CloudFormation create (cdk deploy)' : 'CloudFormation delete (cdk destroy)',
        seconds: stackSeconds,
        source: 'the durations section 1 simulates for this orchestrator',
        kind: 'same-as-section-1',
      },
    );
  }
  phases.push({
    name: 'read outputs, Cognito and DynamoDB calls (aws CLI)',
    seconds: 15,
    source: `estimate; ${ecsScript}`,
    kind: 'estimate',
  });
  return phases;
}

/** One modelled script-based run. */
export interface ScriptRunModel {
  readonly tier: BenchTier;
  readonly operation: 'onboarding' | 'offboarding';
  readonly buildSeconds: number;
  readonly phases: readonly Assumption[];
  /** general1.small, the compute type the ScriptJob's codebuild.Project gets by default. */
  readonly codeBuildSmall: number;
  /** arm1.small, if the project were switched to an ARM image. */
  readonly codeBuildArmSmall: number;
  /** The ScriptJob's own state machine (StartBuild .sync, then PutEvents) and events. */
  readonly orchestration: CostBreakdown;
  readonly buildLogBytes: number;
  readonly total: number;
}

/** States the ScriptJob state machine enters: startCodeBuild (.sync; the polling is not billed) and the PutEvents reply. */
export const scriptJobTransitions = 2;

/** Bytes of build log per build: yum, npm and cdk output (an estimate). */
export const buildLogBytes = 150 * 1024;

/** One script-job run of a tier: build time, cost and the phases behind them. */
export function modelScriptRun(
  tier: BenchTier,
  operation: 'onboarding' | 'offboarding',
  stackSeconds: number,
): ScriptRunModel {
  const phases = scriptPhases(tier, operation, stackSeconds);
  const buildSeconds = phases.reduce((sum, phase) => sum + phase.seconds, 0);
  const orchestration = workflowCost(
    {
      stateTransitions: scriptJobTransitions,
      lambdaInvocations: 0,
      lambdaDurationsMs: [],
      readRequestUnits: 0,
      writeRequestUnits: 0,
      events: 2,
    },
    { logBytes: buildLogBytes, traces: 1 },
  );
  const codeBuildSmall = codeBuildCost(buildSeconds, prices.codeBuildGeneral1SmallMinute.dollars);
  const codeBuildArmSmall = codeBuildCost(buildSeconds, prices.codeBuildArm1SmallMinute.dollars);
  return {
    tier,
    operation,
    buildSeconds,
    phases,
    codeBuildSmall,
    codeBuildArmSmall,
    orchestration,
    buildLogBytes,
    total: codeBuildSmall + orchestration.total,
  };
}

/** Concurrency figures of the two approaches for a burst of tenants. */
export interface BurstModel {
  readonly tenants: number;
  readonly codeBuildConcurrency: number;
  /** CodeBuild queues at most five times the concurrent build limit; StartBuild beyond that fails. */
  readonly codeBuildQueueLimit: number;
  /** Builds that cannot start or queue when all tenants arrive at once (the ScriptJob then reports a failure). */
  readonly scriptRejected: number;
  /** Hours until the last build of an accepted burst ends (queued builds run as slots free up). */
  readonly scriptMakespanHours: number;
  /** Hours until every tenant's build has run, had the refused ones been retried. */
  readonly scriptMakespanAllHours: number;
  readonly sources: readonly string[];
}

/** A burst of script-job onboardings against CodeBuild's concurrency and queue limits. */
export function modelScriptBurst(tenants: number, meanBuildSeconds: number, codeBuildConcurrency = 20): BurstModel {
  const queueLimit = 5 * codeBuildConcurrency;
  const accepted = Math.min(tenants, codeBuildConcurrency + queueLimit);
  return {
    tenants,
    codeBuildConcurrency,
    codeBuildQueueLimit: queueLimit,
    scriptRejected: tenants - accepted,
    scriptMakespanHours: (Math.ceil(accepted / codeBuildConcurrency) * meanBuildSeconds) / 3600,
    scriptMakespanAllHours: (Math.ceil(tenants / codeBuildConcurrency) * meanBuildSeconds) / 3600,
    sources: [
      'https://docs.aws.amazon.com/codebuild/latest/userguide/builds-working.html ("The maximum number of builds in a queue is five times the concurrent build limit")',
      'concurrency 20: an assumption; the quota varies by account and compute type (aws-quickstart/saas-identity-cognito#12 quotes a default of 20)',
    ],
  };
}
