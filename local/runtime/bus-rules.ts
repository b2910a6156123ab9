/**
 * The rules of the local bus: the deployed ones (requestEventPattern, failedExecutionEventPattern)
 * with local targets. Requests start their workflow (refused starts are retried with backoff and
 * then dead-lettered, like the rules' retry policy and dead-letter queue), replies reach the local
 * control plane, failed executions reach the real failure reporter.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { requestEventPattern, type ContractConfig } from '../../events/contract.ts';
import { failedExecutionEventPattern } from '../../events/execution-status.ts';
import { lambdaContext, loadHandler, localStateMachineArn, type WorkflowName } from '../workflow-runner.ts';
import type { ReceivedReply, SendResult } from './api.ts';
import type { BusEvent, BusRule, LocalBus, RetryPolicy } from './bus.ts';
import { summaryOf, type ExecutionRecord } from './executions.ts';
import type { WorkflowLauncher } from './workflow-launcher.ts';

const workflows: readonly WorkflowName[] = ['onboarding', 'offboarding'];

/** The rule that starts each workflow, by rule name. */
export const startRuleWorkflows: ReadonlyMap<string, WorkflowName> = new Map(workflows.map((workflow) => [`start-${workflow}`, workflow]));

/** What the rules' targets act on. */
export interface RuleDependencies {
  readonly contract: ContractConfig;
  readonly launcher: WorkflowLauncher;
  /** Where replies to the control plane are kept. */
  readonly replies: ReceivedReply[];
  /** Which execution the code running now belongs to (to attribute replies and run the reporter as it). */
  readonly current: AsyncLocalStorage<{ executionArn: string }>;
  /** How a refused workflow start is retried before the request is dead-lettered. */
  readonly startRetries: RetryPolicy;
}

/** The local bus's rules, in the order EventBridge would list them. */
export function runtimeRules(deps: RuleDependencies): BusRule[] {
  const { contract, launcher, replies, current, startRetries } = deps;
  const startRules = [...startRuleWorkflows].map(([name, workflow]) => ({
    name,
    pattern: requestEventPattern(contract, workflow),
    target: (event: BusEvent) => launcher.startFromBus(workflow, event),
    retryPolicy: startRetries,
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
      name: 'report-failed-executions',
      pattern: failedExecutionEventPattern(workflows.map(localStateMachineArn)),
      target: (event) =>
        current.run({ executionArn: String(event.detail.executionArn) }, async () =>
          (await loadHandler('report-failure'))(event, lambdaContext('tenant-orchestrator-report-failure')),
        ),
    },
  ];
}

/** The `executionArn` a failure reply carries in its `tenantRegistrationData`, if any. */
function failedExecutionOf(event: BusEvent): string | undefined {
  const jobOutput = event.detail.jobOutput as { tenantRegistrationData?: { executionArn?: unknown } } | undefined;
  const executionArn = jobOutput?.tenantRegistrationData?.executionArn;
  return typeof executionArn === 'string' ? executionArn : undefined;
}

function isExecution(value: unknown): value is ExecutionRecord {
  return typeof value === 'object' && value !== null && 'executionArn' in value && 'workflow' in value;
}

/**
 * Puts a request on the bus and follows its workflow start: at once, or through the bus's retries
 * when the start was refused (followed to the end only when `wait`). With `wait`, the replies are
 * the ones the started execution sent; otherwise those that arrived meanwhile.
 */
export async function deliverRequest(
  deps: { readonly bus: LocalBus; readonly replies: readonly ReceivedReply[]; readonly waitFor: (record: ExecutionRecord) => Promise<void> },
  event: unknown,
  wait: boolean,
): Promise<SendResult> {
  const { bus, replies, waitFor } = deps;
  const before = replies.length;
  const delivery = bus.publish(event).deliveries.find((candidate) => startRuleWorkflows.has(candidate.rule));
  const workflow = delivery === undefined ? undefined : startRuleWorkflows.get(delivery.rule);
  if (delivery === undefined || workflow === undefined) return { replies: replies.slice(before) };
  let started = isExecution(delivery.result) ? delivery.result : undefined;
  if (started === undefined && delivery.retried !== undefined) {
    if (!wait) return { workflow, replies: replies.slice(before), delivery: 'retrying' };
    const retried = await delivery.retried;
    if (!isExecution(retried)) return { workflow, replies: replies.slice(before), delivery: 'dead-lettered' };
    started = retried;
  }
  if (started === undefined) return { workflow, replies: replies.slice(before) };
  const execution = started;
  if (wait) await waitFor(execution);
  const arrived = wait ? replies.filter((reply) => reply.executionArn === execution.executionArn) : replies.slice(before);
  return { workflow, execution: summaryOf(execution), replies: arrived, ...(delivery.retried !== undefined ? { delivery: 'retried' as const } : {}) };
}
