/**
 * CloudFormation UpdateStack as suspending and resuming a silo tenant uses it: the stack's own
 * template again (UsePreviousTemplate), every parameter kept (UsePreviousValue) but TenantSuspended.
 * What the tenant sees after each update: its services' desired counts and its listener rule's
 * action. Then the same update again ("No updates are to be performed.") and an update of a stack
 * that does not exist. Raw SDK calls, written before the suspension workflow's adapter
 * (updateStackParameters in functions/shared/aws/stacks.ts) landed: it should call that instead.
 */
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from '../../../functions/shared/aws/clients.ts';
import { describeServices } from '../../../functions/shared/aws/services.ts';
import { createStack, describeStack } from '../../../functions/shared/aws/stacks.ts';
import { TemplateParameter, TenantSuspendedValue } from '../../../functions/shared/config/template-parameters.ts';
import { failureWithMessage, type Scenario } from '../scenario.ts';
import type { World } from '../world.ts';
import { ruleActions } from './rule-action.scenario.ts';
import { plannedStack, stackContext, watchStack } from './stack-plan.ts';

/** UpdateStack of `stackName` keeping its template and every parameter in `keep`, with TenantSuspended set. */
function suspendUpdate(world: World, stackName: string, keep: readonly string[], suspended: boolean) {
  return new UpdateStackCommand({
    StackName: stackName,
    UsePreviousTemplate: true,
    Parameters: [
      ...keep
        .filter((key) => key !== TemplateParameter.tenantSuspended)
        .map((key) => ({ ParameterKey: key, UsePreviousValue: true })),
      {
        ParameterKey: TemplateParameter.tenantSuspended,
        ParameterValue: suspended ? TenantSuspendedValue.suspended : TenantSuspendedValue.active,
      },
    ],
    Capabilities: ['CAPABILITY_IAM'],
    RoleARN: world.cloudFormationRoleArn,
  });
}

/** What the tenant sees: each service's desired count and the rule's action, reduced to its kind. */
async function tenantView(stackName: string) {
  const observed = await describeStack(stackName);
  const names = (observed?.outputs.ServiceNames ?? '').split(',').filter((name) => name !== '');
  const cluster = observed?.outputs.ClusterName ?? '';
  const services = names.length === 0 ? [] : await describeServices(cluster, names);
  const actions = await ruleActions(observed?.outputs.ListenerRuleArn);
  return {
    status: observed?.status ?? null,
    desiredCounts: services.map((service) => service.desiredCount),
    actions,
  };
}

export const stackUpdateScenarios: readonly Scenario[] = [
  {
    name: 'cfn-update-suspend-and-resume',
    service: 'CloudFormation',
    calls: [
      'UpdateStack (UsePreviousTemplate, UsePreviousValue, TenantSuspended)',
      'DescribeStacks (over time)',
      'DescribeServices',
      'DescribeRules',
    ],
    async run(world) {
      const stack = plannedStack(world, 'diff-suspend', 'advanced', 81);
      await createStack(stack, stackContext(world, 'suspend'));
      await watchStack(stack.stackName);
      const keep = Object.keys(stack.parameters);
      const before = await tenantView(stack.stackName);
      await cloudFormationClient().send(suspendUpdate(world, stack.stackName, keep, true));
      const suspending = await watchStack(stack.stackName);
      const suspended = await tenantView(stack.stackName);
      const again = await failureWithMessage(() =>
        cloudFormationClient().send(suspendUpdate(world, stack.stackName, keep, true)),
      );
      await cloudFormationClient().send(suspendUpdate(world, stack.stackName, keep, false));
      const resuming = await watchStack(stack.stackName);
      const resumed = await tenantView(stack.stackName);
      return {
        before,
        suspendStatuses: suspending.statuses,
        suspended,
        sameUpdateAgain: again,
        resumeStatuses: resuming.statuses,
        resumed,
      };
    },
  },
  {
    name: 'cfn-update-missing-stack',
    service: 'CloudFormation',
    calls: ['UpdateStack (no such stack)'],
    async run(world) {
      const failure = await failureWithMessage(() =>
        cloudFormationClient().send(suspendUpdate(world, 'tenant-diff-never-created', ['TenantId'], true)),
      );
      // The wording differs between operations ("Stack [name] does not exist" for UpdateStack,
      // "Stack with id name does not exist" for DescribeStacks); a caller can only rely on the phrase.
      return { thrown: failure.thrown, saysDoesNotExist: /does not exist/.test(failure.message ?? '') };
    },
  },
];
