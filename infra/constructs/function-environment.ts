/**
 * The environment of each function: exactly the variables its handler reads through the readers
 * of functions/shared/config/environment.ts, named as that module defines them, plus
 * POWERTOOLS_SERVICE_NAME. A handler throws at cold start when one is missing; the stack test
 * loads every handler with the environment given here, and with each variable taken out.
 */
import type { eventFunctions, workflowFunctions } from '../../functions/lambda-functions.ts';
import {
  type ConfigReader,
  type EnvironmentSetting,
  environmentVariables,
  readerSettings,
} from '../../functions/shared/config/environment.ts';

export type { EnvironmentVariable } from '../../functions/shared/config/environment.ts';

/** Directory name of a function under functions/. */
export type FunctionDirectory =
  | (typeof workflowFunctions)[keyof typeof workflowFunctions]
  | (typeof eventFunctions)[keyof typeof eventFunctions];

/** The readers each function calls at cold start. */
const functionReaders: Readonly<Record<FunctionDirectory, readonly ConfigReader[]>> = {
  'accept-request': [
    'readContractConfig',
    'readRegistryTableName',
    'readTombstoneSeconds',
    'readPublishedTemplates',
    'readTierCatalog',
  ],
  'plan-tenant': ['readStackConfig', 'readRegistryTableName', 'readTierCatalog'],
  'converge-stacks': [
    'readCloudFormationRoleArn',
    'readDeadlines',
    'readRegistryTableName',
    'readMaxStackOperations',
    'readEventDrivenWaits',
  ],
  'register-route': ['readRegistryTableName', 'readRouteListeners'],
  'check-services': ['readDeadlines', 'readRegistryTableName', 'readEventDrivenWaits'],
  'await-change': ['readDeadlines', 'readRegistryTableName'],
  'resume-wait': ['readDeadlines', 'readRegistryTableName'],
  'index-tenants': ['readRegistryTableName'],
  'complete-operation': ['readRegistryTableName'],
  'send-reply': ['readContractConfig', 'readIdempotencyTableName', 'readRegistryTableName'],
  'remove-route': ['readRegistryTableName', 'readRouteListeners'],
  'set-route-action': ['readRegistryTableName'],
  'change-tier': [
    'readRegistryTableName',
    'readRouteListeners',
    'readStackConfig',
    'readTierCatalog',
    'readDataMigrationHookTimeoutSeconds',
  ],
  'migration-hook': ['readContractConfig', 'readRegistryTableName', 'readDataMigrationHookTimeoutSeconds'],
  'report-failure': ['readContractConfig', 'readStateMachineArns', 'readRegistryTableName', 'readIdempotencyTableName'],
  'sweep-failures': ['readContractConfig', 'readStateMachineArns', 'readRegistryTableName', 'readIdempotencyTableName'],
  'admit-request': ['readContractConfig', 'readStateMachineArns'],
  reconcile: [
    'readContractConfig',
    'readRegistryTableName',
    'readRouteListeners',
    'readStackConfig',
    'readStackDriftChecksPerRun',
  ],
  'plan-rollout': ['readRegistryTableName', 'readPublishedTemplates'],
  'rollout-executions': ['readContractConfig', 'readRegistryTableName', 'readRolloutStateMachineArns'],
  'gate-rollout-wave': ['readRegistryTableName', 'readRolloutStateMachineArns'],
  'report-rollout-wave': ['readContractConfig'],
};

/** Environment variables Lambda limits to 4 KB in total (names and values). */
export const maxEnvironmentBytes = 4096;

/** The environment of one function, picked from the value of every setting. */
export function functionEnvironment(
  directory: FunctionDirectory,
  settings: Readonly<Record<EnvironmentSetting, string>>,
): Record<string, string> {
  const environment: Record<string, string> = { POWERTOOLS_SERVICE_NAME: directory };
  for (const reader of functionReaders[directory]) {
    for (const setting of readerSettings[reader]) environment[environmentVariables[setting]] = settings[setting];
  }
  return environment;
}
