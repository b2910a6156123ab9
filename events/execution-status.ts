/**
 * The execution status events the failure reporter answers: the CDK rule on the default bus and
 * the local bus both use this pattern, so they cannot drift apart.
 */

/** Execution statuses the failure reporter answers (every way an execution can end badly). */
export const reportedExecutionStatuses = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** EventBridge pattern (JSON field names) for bad endings of the orchestrator's workflows. */
export function failedExecutionEventPattern(stateMachineArns: readonly string[]) {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { status: [...reportedExecutionStatuses], stateMachineArn: [...stateMachineArns] },
  };
}
