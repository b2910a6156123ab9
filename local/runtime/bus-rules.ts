/**
 * The rules of the local bus: the deployed ones (requestEventPattern, failedExecutionEventPattern)
 * with local targets. Requests go to the real admission function, which starts their workflow
 * through StartExecution (answered by the launcher); an admission that fails is invoked again
 * like an asynchronous Lambda invocation and then dead-lettered, like the deployed function's
 * retries and on-failure destination. Replies reach the local control plane, failed executions
 * reach the real failure reporter.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { type ContractConfig, workflowRequestEventPattern } from '../../events/contract.ts';
import { failedExecutionEventPattern } from '../../events/execution-status.ts';
import { serviceSettledEventPattern, stackStatusEventPattern } from '../../events/cloud-events.ts';
import { readStackConfig } from '../../functions/shared/config/environment.ts';
import { fleetEventSource } from '../../events/fleet-events.ts';
import type { AdmitRequestOutput } from '../../functions/admit-request/handler.ts';
import { simulatedAccount, simulatedRegion } from '../cloud/aws-shapes.ts';
import {
  allWorkflows,
  lambdaContext,
  loadHandler,
  localStateMachineArn,
  type WorkflowName,
} from '../workflow-runner.ts';
import type { FleetEvent, ReceivedReply, SendResult } from './api.ts';
import type { BusEvent, BusRule, LocalBus, RetryPolicy } from './bus.ts';
import { summaryOf, type ExecutionRecord } from './executions.ts';

const workflows = allWorkflows;

/** The rule that hands each workflow's requests to the admission function, by rule name. */
export const startRuleWorkflows: ReadonlyMap<string, WorkflowName> = new Map(
  workflows.map((workflow) => [`start-${workflow}`, workflow]),
);

/** What the rules' targets act on. */
export interface RuleDependencies {
  readonly contract: ContractConfig;
  /** Where replies to the control plane are kept. */
  readonly replies: ReceivedReply[];
  /** Which execution the code running now belongs to (to attribute replies and run the reporter as it). */
  readonly current: AsyncLocalStorage<{ executionArn: string }>;
  /** How a failed admission is invoked again before the request is dead-lettered (Lambda: 3 attempts in all). */
  readonly admissionRetries: RetryPolicy;
  /** Where our own fleet events are kept (what an operator's rule on source `tenant-orchestrator` would get). */
  readonly fleetEvents: FleetEvent[];
}

/** Invokes the real admission function with a request event, as the request rules' target does. */
export async function invokeAdmission(event: unknown): Promise<AdmitRequestOutput> {
  return (await loadHandler('admit-request'))(
    event,
    lambdaContext('tenant-orchestrator-admit-request'),
  ) as Promise<AdmitRequestOutput>;
}

/** The local bus's rules, in the order EventBridge would list them. */
export function runtimeRules(deps: RuleDependencies): BusRule[] {
  const { contract, replies, current, admissionRetries, fleetEvents } = deps;
  const startRules = [...startRuleWorkflows].map(([name, workflow]) => ({
    name,
    // As deployed with the default controlPlaneAccounts: requests from the (simulated) deploying account only.
    pattern: { ...workflowRequestEventPattern(contract, workflow), account: [simulatedAccount] },
    target: (event: BusEvent) => invokeAdmission(event),
    asyncInvocation: { ...admissionRetries, deadLetter: true },
  }));
  return [
    ...startRules,
    {
      name: 'control-plane-replies',
      pattern: { source: [contract.applicationPlaneSource] },
      target: (event) => {
        // A reply sent by the failure sweep runs outside any execution: a failure reply names its execution.
        const executionArn = current.getStore()?.executionArn ?? failedExecutionOf(event);
        replies.push({
          receivedAt: new Date().toISOString(),
          source: event.source,
          detailType: event['detail-type'],
          detail: event.detail,
          ...(executionArn !== undefined ? { executionArn } : {}),
        });
      },
    },
    {
      name: 'fleet-events',
      pattern: { source: [fleetEventSource] },
      target: (event) => {
        const executionArn = current.getStore()?.executionArn;
        fleetEvents.push({
          time: event.time,
          receivedAt: new Date().toISOString(),
          source: event.source,
          detailType: event['detail-type'],
          detail: event.detail,
          ...(executionArn !== undefined ? { executionArn } : {}),
        });
      },
    },
    ...resumeRules(),
    {
      name: 'report-failed-executions',
      pattern: failedExecutionEventPattern(workflows.map(localStateMachineArn)),
      target: (event) =>
        current.run({ executionArn: String(event.detail.executionArn) }, async () =>
          (await loadHandler('report-failure'))(event, lambdaContext('tenant-orchestrator-report-failure')),
        ),
    },
  ];
}

/**
 * The rules that hand CloudFormation's and ECS's events to the resumer (functions/resume-wait),
 * with the deployed patterns; invoked asynchronously, with Lambda's retries.
 */
function resumeRules(): BusRule[] {
  const { stackNamePrefix } = readStackConfig();
  const target = async (event: BusEvent) =>
    (await loadHandler('resume-wait'))(event, lambdaContext('tenant-orchestrator-resume-wait'));
  return [
    {
      name: 'resume-waits-on-stack-status',
      pattern: stackStatusEventPattern(
        `arn:aws:cloudformation:${simulatedRegion}:${simulatedAccount}:stack/${stackNamePrefix}-`,
      ),
      target,
    },
    { name: 'resume-waits-on-service-events', pattern: serviceSettledEventPattern(), target },
  ];
}

/** The `executionArn` a failure reply carries in its `tenantRegistrationData`, if any. */
function failedExecutionOf(event: BusEvent): string | undefined {
  const jobOutput = event.detail.jobOutput as { tenantRegistrationData?: { executionArn?: unknown } } | undefined;
  const executionArn = jobOutput?.tenantRegistrationData?.executionArn;
  return typeof executionArn === 'string' ? executionArn : undefined;
}

/** How a request's delivery is followed: the bus, the replies, and the executions. */
export interface FollowDependencies {
  readonly bus: LocalBus;
  readonly replies: readonly ReceivedReply[];
  readonly waitFor: (record: ExecutionRecord) => Promise<void>;
  readonly find: (executionArn: string) => ExecutionRecord | undefined;
}

/**
 * Puts a request on the bus and follows its admission: the first attempt, and the retries when it
 * failed (followed to the end only when `wait`). With `wait`, the replies are the ones the started
 * execution sent; otherwise those that arrived meanwhile.
 */
export async function deliverRequest(deps: FollowDependencies, event: unknown, wait: boolean): Promise<SendResult> {
  const { bus, replies } = deps;
  const before = replies.length;
  const delivery = bus.publish(event).deliveries.find((candidate) => startRuleWorkflows.has(candidate.rule));
  const workflow = delivery === undefined ? undefined : startRuleWorkflows.get(delivery.rule);
  if (delivery?.invocation === undefined || workflow === undefined) return { replies: replies.slice(before) };
  const firstSucceeded = await delivery.invocation.firstAttempt;
  if (!firstSucceeded && !wait) return { workflow, replies: replies.slice(before), delivery: 'retrying' };
  const outcome = await delivery.invocation.outcome;
  if (!outcome.succeeded) return { workflow, replies: replies.slice(before), delivery: 'dead-lettered' };
  return followAdmission(deps, workflow, outcome.value as AdmitRequestOutput, {
    wait,
    before,
    retried: !firstSucceeded,
  });
}

/** The result of a request the admission function handled: what it started (or found), or that it refused it. */
export async function followAdmission(
  deps: Pick<FollowDependencies, 'replies' | 'waitFor' | 'find'>,
  workflow: WorkflowName,
  admitted: AdmitRequestOutput,
  options: { readonly wait: boolean; readonly before: number; readonly retried: boolean },
): Promise<SendResult> {
  const { replies, waitFor, find } = deps;
  const retried = options.retried ? { delivery: 'retried' as const } : {};
  const record = admitted.executionArn === undefined ? undefined : find(admitted.executionArn);
  if (admitted.outcome === 'rejected' || record === undefined) {
    return { workflow, replies: replies.slice(options.before), admission: 'rejected', ...retried };
  }
  if (admitted.outcome === 'duplicate') {
    // Nothing new started: the execution that has the name is shown as it is; its replies are not this request's.
    return {
      workflow,
      execution: summaryOf(record),
      replies: replies.slice(options.before),
      admission: 'duplicate',
      ...retried,
    };
  }
  if (options.wait) await waitFor(record);
  const arrived = options.wait
    ? replies.filter((reply) => reply.executionArn === record.executionArn)
    : replies.slice(options.before);
  return { workflow, execution: summaryOf(record), replies: arrived, ...retried };
}
