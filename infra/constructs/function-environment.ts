/**
 * The environment of each function: exactly the variables its handler reads through the readers
 * of functions/shared/config/environment.ts, plus POWERTOOLS_SERVICE_NAME. A handler throws at cold start when
 * one is missing, so this table is checked against the handlers' source by the stack test.
 */
import type { eventFunctions, workflowFunctions } from '../../functions/lambda-functions.ts';

/** Directory name of a function under functions/. */
export type FunctionDirectory =
  | (typeof workflowFunctions)[keyof typeof workflowFunctions]
  | (typeof eventFunctions)[keyof typeof eventFunctions];

/** The variables each reader of functions/shared/config/environment.ts requires. */
export const readerVariables = {
  readContractConfig: [
    'EVENT_BUS_NAME',
    'CONTROL_PLANE_SOURCE',
    'APPLICATION_PLANE_SOURCE',
    'ACCEPT_LEGACY_DETAIL_TYPES',
    'EMIT_LEGACY_DETAIL_TYPES',
  ],
  readRegistryTableName: ['TENANT_REGISTRY_TABLE'],
  readIdempotencyTableName: ['IDEMPOTENCY_TABLE'],
  readStackConfig: ['STACK_NAME_PREFIX', 'TENANT_STACK_PARAMETERS', 'TEMPLATE_BASE_URL', 'TENANT_DOMAIN'],
  readCloudFormationRoleArn: ['CLOUDFORMATION_ROLE_ARN'],
  readRouteListeners: ['ROUTE_LISTENERS'],
  readDeadlines: ['STACK_TIMEOUT_SECONDS', 'SERVICES_TIMEOUT_SECONDS', 'STACK_QUEUE_TIMEOUT_SECONDS'],
  readStateMachineArns: ['ONBOARDING_STATE_MACHINE_ARN', 'OFFBOARDING_STATE_MACHINE_ARN'],
  readMaxStackOperations: ['MAX_STACK_OPERATIONS'],
  readTombstoneSeconds: ['TOMBSTONE_SECONDS'],
} as const;

export type ConfigReader = keyof typeof readerVariables;
export type EnvironmentVariable = (typeof readerVariables)[ConfigReader][number];

/** The readers each function calls at cold start. */
export const functionReaders: Readonly<Record<FunctionDirectory, readonly ConfigReader[]>> = {
  'accept-request': ['readContractConfig', 'readRegistryTableName', 'readTombstoneSeconds'],
  'plan-tenant': ['readStackConfig', 'readRegistryTableName'],
  'converge-stacks': ['readCloudFormationRoleArn', 'readDeadlines', 'readRegistryTableName', 'readMaxStackOperations'],
  'register-route': ['readRegistryTableName', 'readRouteListeners'],
  'check-services': ['readDeadlines', 'readRegistryTableName'],
  'complete-operation': ['readRegistryTableName'],
  'send-reply': ['readContractConfig', 'readIdempotencyTableName', 'readRegistryTableName'],
  'remove-route': ['readRegistryTableName', 'readRouteListeners'],
  'report-failure': ['readContractConfig', 'readStateMachineArns', 'readRegistryTableName', 'readIdempotencyTableName'],
  'sweep-failures': ['readContractConfig', 'readStateMachineArns', 'readRegistryTableName', 'readIdempotencyTableName'],
  'admit-request': ['readContractConfig', 'readStateMachineArns'],
};

/** Environment variables Lambda limits to 4 KB in total (names and values). */
export const maxEnvironmentBytes = 4096;

/** The environment of one function, picked from the values of every variable. */
export function functionEnvironment(
  directory: FunctionDirectory,
  values: Readonly<Record<EnvironmentVariable, string>>,
): Record<string, string> {
  const environment: Record<string, string> = { POWERTOOLS_SERVICE_NAME: directory };
  for (const reader of functionReaders[directory]) {
    for (const name of readerVariables[reader]) environment[name] = values[name];
  }
  return environment;
}
