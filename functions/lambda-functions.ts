/**
 * Every Lambda function of the orchestrator, keyed by the placeholder the state machines use
 * for its ARN. The CDK app (one NodejsFunction each, `definitionSubstitutions`) and the local
 * runtime (task overrides) both read this list, so a new step is declared once.
 */
export const workflowFunctions = {
  AcceptRequestFunctionArn: 'accept-request',
  PlanTenantFunctionArn: 'plan-tenant',
  ConvergeStacksFunctionArn: 'converge-stacks',
  RegisterRouteFunctionArn: 'register-route',
  CheckServicesFunctionArn: 'check-services',
  CompleteOperationFunctionArn: 'complete-operation',
  SendReplyFunctionArn: 'send-reply',
  RemoveRouteFunctionArn: 'remove-route',
  SetRouteActionFunctionArn: 'set-route-action',
  ChangeTierFunctionArn: 'change-tier',
  PlanRolloutFunctionArn: 'plan-rollout',
  RolloutExecutionsFunctionArn: 'rollout-executions',
  GateRolloutWaveFunctionArn: 'gate-rollout-wave',
  ReportRolloutWaveFunctionArn: 'report-rollout-wave',
  MigrationHookFunctionArn: 'migration-hook',
  AwaitChangeFunctionArn: 'await-change',
} as const;

export type WorkflowFunctionPlaceholder = keyof typeof workflowFunctions;

/**
 * Functions outside the workflows: the admission function starts a workflow for each request on
 * the bus; the failure reporter reacts to execution status events, the failure sweep runs on a
 * schedule to report the failures whose events were not delivered, and the reconciliation runs on a
 * schedule to compare the registry with the account (read-only); the resumer answers a waiting step
 * when CloudFormation or ECS reports that what it waits for settled; the tenant list's custom resource
 * puts earlier releases' tenant records on the tenant list at deployment.
 */
export const eventFunctions = {
  admitRequest: 'admit-request',
  reportFailure: 'report-failure',
  sweepFailures: 'sweep-failures',
  reconcile: 'reconcile',
  resumeWait: 'resume-wait',
  indexTenants: 'index-tenants',
} as const;

/** Directory names under functions/ of every function. */
export const allFunctionDirectories: readonly string[] = [
  ...Object.values(workflowFunctions),
  ...Object.values(eventFunctions),
];
