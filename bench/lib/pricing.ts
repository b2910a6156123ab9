/**
 * Published AWS list prices (us-east-1, on-demand) and the cost model of one workflow run.
 *
 * Prices as checked in 2026-11 against the pages named in each `source`. They change: re-check
 * every figure before quoting a result, and update `pricesCheckedOn` with them.
 */
import { orchestratorFunctionMemoryMb } from '../../infra/constructs/orchestrator-function.ts';

/** When the prices below were last compared with the pages they cite. */
export const pricesCheckedOn = '2026-11';

/** One price: dollars per unit, the unit, and where it is published. */
export interface Price {
  readonly dollars: number;
  readonly per: string;
  readonly source: string;
  /** Set when the figure could not be confirmed against the source and comes from memory. */
  readonly unconfirmed?: true;
}

/** The prices the cost model uses. */
export const prices = {
  stepFunctionsTransition: {
    dollars: 0.025 / 1000,
    per: 'state transition (Standard; retries count as transitions)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
  },
  lambdaRequest: { dollars: 0.2 / 1e6, per: 'request', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaArmGbSecond: {
    dollars: 0.0000133334,
    per: 'GB-second (arm64, first pricing tier)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  dynamoDbWriteUnit: {
    dollars: 0.625 / 1e6,
    per: 'write request unit (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamoDbReadUnit: {
    dollars: 0.125 / 1e6,
    per: 'read request unit (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  eventBridgeCustomEvent: {
    dollars: 1 / 1e6,
    per: 'custom event (64 KB chunk)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  cloudWatchLogsIngestedGb: {
    dollars: 0.5,
    per: 'GB of logs ingested (standard class)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  xRayTraceRecorded: { dollars: 5 / 1e6, per: 'trace recorded', source: 'https://aws.amazon.com/xray/pricing/' },
  codeBuildGeneral1SmallMinute: {
    dollars: 0.005,
    per: 'build minute (general1.small, Linux x86, on-demand EC2)',
    source: 'https://aws.amazon.com/codebuild/pricing/',
  },
  codeBuildArm1SmallMinute: {
    dollars: 0.0034,
    per: 'build minute (arm1.small, Linux arm64, on-demand EC2)',
    source: 'https://aws.amazon.com/codebuild/pricing/',
    unconfirmed: true,
  },
} as const satisfies Record<string, Price>;

/** Memory of every orchestrator function, as the CDK construct sets it (not a copy). */
export const lambdaMemoryMb: number = orchestratorFunctionMemoryMb;

/** What one workflow run consumed, in the units AWS bills. */
export interface WorkflowUsage {
  /** StateEntered events plus retries (Step Functions bills a retry as a transition). */
  readonly stateTransitions: number;
  /** Task attempts, one Lambda invocation each. */
  readonly lambdaInvocations: number;
  /** Handler durations, one per invocation, in milliseconds (billed rounded up to 1 ms). */
  readonly lambdaDurationsMs: readonly number[];
  readonly readRequestUnits: number;
  readonly writeRequestUnits: number;
  /** Custom events on the bus (the request from the control plane and the reply). */
  readonly events: number;
}

/** What a run leaves behind besides billed requests: logs and traces (estimates). */
export interface WorkflowExtras {
  readonly logBytes: number;
  readonly traces: number;
}

/** Dollars per line of the bill. */
export interface CostBreakdown {
  readonly stepFunctions: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly dynamoDb: number;
  readonly eventBridge: number;
  /** The five billed request lines above. */
  readonly requests: number;
  readonly logs: number;
  readonly traces: number;
  /** Everything, extras included. */
  readonly total: number;
}

/** GB-seconds of invocations of the given durations at the given memory, each rounded up to 1 ms. */
export function lambdaGbSeconds(durationsMs: readonly number[], memoryMb: number = lambdaMemoryMb): number {
  return durationsMs.reduce((sum, ms) => sum + (Math.ceil(Math.max(ms, 1)) / 1000) * (memoryMb / 1024), 0);
}

/** Dollars of one run at list prices. */
export function workflowCost(usage: WorkflowUsage, extras: WorkflowExtras = { logBytes: 0, traces: 0 }): CostBreakdown {
  const stepFunctions = usage.stateTransitions * prices.stepFunctionsTransition.dollars;
  const lambdaRequests = usage.lambdaInvocations * prices.lambdaRequest.dollars;
  const lambdaDuration = lambdaGbSeconds(usage.lambdaDurationsMs) * prices.lambdaArmGbSecond.dollars;
  const dynamoDb =
    usage.writeRequestUnits * prices.dynamoDbWriteUnit.dollars +
    usage.readRequestUnits * prices.dynamoDbReadUnit.dollars;
  const eventBridge = usage.events * prices.eventBridgeCustomEvent.dollars;
  const requests = stepFunctions + lambdaRequests + lambdaDuration + dynamoDb + eventBridge;
  const logs = (extras.logBytes / 1024 ** 3) * prices.cloudWatchLogsIngestedGb.dollars;
  const traces = extras.traces * prices.xRayTraceRecorded.dollars;
  return {
    stepFunctions,
    lambdaRequests,
    lambdaDuration,
    dynamoDb,
    eventBridge,
    requests,
    logs,
    traces,
    total: requests + logs + traces,
  };
}

/** CodeBuild bills whole minutes per build: the build's duration rounded up. */
export function codeBuildCost(buildSeconds: number, pricePerMinute: number): number {
  return Math.ceil(buildSeconds / 60) * pricePerMinute;
}
