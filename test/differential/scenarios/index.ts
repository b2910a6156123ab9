/** Every differential scenario, in the order they are played. */
import type { Scenario } from '../scenario.ts';
import { cloudFormationScenarios } from './cloudformation.scenario.ts';
import { dynamoDbScenarios } from './dynamodb.scenario.ts';
import { ecsScenarios } from './ecs.scenario.ts';
import { elbScenarios } from './elb.scenario.ts';
import { eventBridgeScenarios } from './eventbridge.scenario.ts';
import { ruleActionScenarios } from './rule-action.scenario.ts';
import { stackUpdateScenarios } from './stack-update.scenario.ts';
import { stepFunctionsScenarios } from './stepfunctions.scenario.ts';

export const scenarios: readonly Scenario[] = [
  ...dynamoDbScenarios,
  ...elbScenarios,
  ...ruleActionScenarios,
  ...ecsScenarios,
  ...eventBridgeScenarios,
  ...stepFunctionsScenarios,
  ...cloudFormationScenarios,
  ...stackUpdateScenarios,
];

const names = scenarios.map((scenario) => scenario.name);
const repeated = names.filter((name, index) => names.indexOf(name) !== index);
if (repeated.length > 0) throw new Error(`scenario names must be unique: ${repeated.join(', ')}`);
