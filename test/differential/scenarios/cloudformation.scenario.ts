/**
 * CloudFormation: the converge step's calls through functions/shared/aws/stacks.ts, with the real
 * synthesized tenant templates and the parameters the plan step builds: DescribeStacks of a missing
 * stack, CreateStack (accepted, over time, existing, replayed token, refused parameters), DeleteStack
 * (missing stack, lifecycle), DescribeStackEvents (what findFirstFailure and the delete token read).
 */
import { DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from '../../../functions/shared/aws/clients.ts';
import { createTenantRule, findRuleAtPriority, ruleTags } from '../../../functions/shared/aws/listener-rules.ts';
import {
  clientRequestToken,
  createStack,
  deleteStack,
  describeStack,
  findFirstFailure,
} from '../../../functions/shared/aws/stacks.ts';
import { failureWithMessage, type Scenario, settle } from '../scenario.ts';
import { plannedStack, stackContext, stackView, watchStack } from './stack-plan.ts';

/**
 * The outputs the converge step hands on. The target group's name is generated (CloudFormation
 * makes one up from the stack name, the logical id and random characters), so only its kind is kept.
 */
function outputsOf(outputs: Readonly<Record<string, string>> | undefined) {
  if (outputs === undefined) return null;
  const { TargetGroupArn, ...rest } = outputs;
  return {
    ...rest,
    TargetGroupArn: /:targetgroup\/[\w-]{1,32}\/[0-9a-f]{16}$/.test(TargetGroupArn ?? '')
      ? 'a target group ARN'
      : TargetGroupArn,
  };
}

/** The stack's own events, oldest first: status, and whether it carries the token given. */
async function stackOwnEvents(stackId: string, token: string) {
  const result = await cloudFormationClient().send(new DescribeStackEventsCommand({ StackName: stackId }));
  return (result.StackEvents ?? [])
    .filter((event) => event.ResourceType === 'AWS::CloudFormation::Stack')
    .reverse()
    .map((event) => ({ status: event.ResourceStatus, carriesToken: event.ClientRequestToken === token }));
}

export const cloudFormationScenarios: readonly Scenario[] = [
  {
    name: 'cfn-describe-missing-stack',
    service: 'CloudFormation',
    calls: ['DescribeStacks (missing stack)'],
    async run() {
      return { stack: (await describeStack('tenant-diff-never-created')) ?? null };
    },
  },
  {
    name: 'cfn-create-silo-services-stack',
    service: 'CloudFormation',
    calls: ['CreateStack (silo-services template)', 'DescribeStacks (over time)', 'DescribeStackEvents'],
    async run(world) {
      const stack = plannedStack(world, 'diff-services', 'advanced', 70);
      const outcome = await createStack(stack, stackContext(world, 'services'));
      const watched = await watchStack(stack.stackName);
      const observed = await describeStack(stack.stackName);
      return {
        outcome,
        statuses: watched.statuses,
        final: stackView(observed),
        outputs: outputsOf(observed?.outputs),
        firstFailure: (await findFirstFailure(observed?.stackId ?? stack.stackName)) ?? null,
      };
    },
  },
  {
    name: 'cfn-create-silo-cluster-stack',
    service: 'CloudFormation',
    calls: ['CreateStack (silo-cluster template)', 'DescribeStacks (over time)'],
    async run(world) {
      const stack = plannedStack(world, 'diff-cluster', 'premium', 71);
      const outcome = await createStack(stack, stackContext(world, 'cluster'));
      const watched = await watchStack(stack.stackName);
      const observed = await describeStack(stack.stackName);
      return { outcome, statuses: watched.statuses, final: stackView(observed), outputs: outputsOf(observed?.outputs) };
    },
  },
  {
    name: 'cfn-create-existing-stack',
    service: 'CloudFormation',
    calls: ['CreateStack (name taken, another token)'],
    async run(world) {
      const stack = plannedStack(world, 'diff-existing', 'advanced', 72);
      const first = await createStack(stack, stackContext(world, 'existing-1'));
      const second = await createStack(stack, stackContext(world, 'existing-2'));
      const afterCreate = await createStack(stack, stackContext(world, 'existing-3')).then(async (outcome) => {
        await watchStack(stack.stackName);
        return outcome;
      });
      return { first, second, afterCreate };
    },
  },
  {
    name: 'cfn-replayed-create-token',
    service: 'CloudFormation',
    calls: ['CreateStack (same ClientRequestToken again)'],
    async run(world) {
      const stack = plannedStack(world, 'diff-replay', 'advanced', 73);
      const context = stackContext(world, 'replay');
      const first = await createStack(stack, context);
      const replayed = await createStack(stack, context);
      await watchStack(stack.stackName);
      return { first, replayed };
    },
  },
  {
    name: 'cfn-refused-parameters',
    service: 'CloudFormation',
    calls: [
      'CreateStack (parameter missing)',
      'CreateStack (undeclared parameter)',
      'CreateStack (not an allowed value)',
    ],
    async run(world) {
      const stack = plannedStack(world, 'diff-params', 'advanced', 74);
      const { TenantId: _omitted, ...withoutTenantId } = stack.parameters;
      const context = (name: string) => stackContext(world, name);
      const missing = await failureWithMessage(() =>
        createStack({ ...stack, parameters: withoutTenantId }, context('params-1')),
      );
      const undeclared = await failureWithMessage(() =>
        createStack({ ...stack, parameters: { ...stack.parameters, NotDeclared: 'x' } }, context('params-2')),
      );
      const notAllowed = await failureWithMessage(() =>
        createStack({ ...stack, parameters: { ...stack.parameters, RouteStyle: 'cookie' } }, context('params-3')),
      );
      const left = await describeStack(stack.stackName);
      // What the adapter decides on: the error's name and cause (the wording is for operators).
      const reduce = ({ thrown, cause }: { thrown: string; cause?: string }) => ({ thrown, cause });
      return {
        missing: reduce(missing),
        undeclared: reduce(undeclared),
        notAllowed: reduce(notAllowed),
        stackLeft: stackView(left),
      };
    },
  },
  {
    name: 'cfn-delete-missing-stack',
    service: 'CloudFormation',
    calls: ['DeleteStack (no such stack)'],
    async run(world) {
      return settle(() => deleteStack('tenant-diff-never-created', stackContext(world, 'delete-missing')));
    },
  },
  {
    name: 'cfn-delete-lifecycle',
    service: 'CloudFormation',
    calls: ['DeleteStack', 'DescribeStacks (by name, by id, over time)', 'DescribeStackEvents (tokens)'],
    async run(world) {
      const stack = plannedStack(world, 'diff-delete', 'advanced', 75);
      const context = stackContext(world, 'delete');
      await createStack(stack, context);
      await watchStack(stack.stackName);
      const stackId = (await describeStack(stack.stackName))?.stackId ?? stack.stackName;
      const deleted = await deleteStack(stack.stackName, context);
      const deletedAgain = await deleteStack(stack.stackName, context);
      const watched = await watchStack(stack.stackName);
      const byId = await describeStack(stackId);
      return {
        deleted,
        deletedAgain,
        statuses: watched.statuses,
        byName: stackView(await describeStack(stack.stackName)),
        byId: byId === undefined ? null : { status: byId.status },
        createEvents: await stackOwnEvents(
          stackId,
          clientRequestToken('create', context.executionArn, context.redriveCount, stack.stackName),
        ),
        deleteTokenOnEvents: (
          await stackOwnEvents(stackId, clientRequestToken('delete', context.executionArn, 0, stack.stackName))
        ).filter((event) => event.carriesToken).length,
      };
    },
  },
  {
    name: 'cfn-token-across-delete-and-recreate',
    service: 'CloudFormation',
    calls: ['CreateStack', 'DeleteStack', "CreateStack (same name, the first create's token)"],
    async run(world) {
      const stack = plannedStack(world, 'diff-recreate', 'advanced', 77);
      const first = stackContext(world, 'recreate-1');
      await createStack(stack, first);
      await watchStack(stack.stackName);
      await deleteStack(stack.stackName, first);
      await watchStack(stack.stackName);
      const ruleLeftBehind = (await findRuleAtPriority(world.listeners[0].listenerArn, 77)) !== undefined;
      // The re-created stack routes at another priority, in case the first one's rule was left behind.
      const again = plannedStack(world, 'diff-recreate', 'advanced', 78);
      const sameToken = await createStack(again, first);
      const newToken = await createStack(again, stackContext(world, 'recreate-2'));
      const watched = await watchStack(again.stackName);
      return { ruleLeftBehind, sameToken, newToken, final: watched.final };
    },
  },
  {
    name: 'cfn-rollback-on-taken-priority',
    service: 'CloudFormation',
    calls: ['CreateStack (its listener rule at a taken priority)', 'DescribeStacks', 'DescribeStackEvents'],
    async run(world) {
      const taken = await createTenantRule({
        listenerArn: world.listeners[0].listenerArn,
        priority: 76,
        targetGroupArn: world.listeners[0].pooledTargetGroupArn,
        route: { style: 'header', headerName: 'x-tenant-id', value: 'diff-squatter' },
        tenantId: 'diff-squatter',
      });
      const stack = plannedStack(world, 'diff-rollback', 'advanced', 76);
      const outcome = await settle(() => createStack(stack, stackContext(world, 'rollback')));
      const watched = await settle(() => watchStack(stack.stackName));
      const failure = await settle(async () => {
        const observed = await describeStack(stack.stackName);
        const found = observed === undefined ? undefined : await findFirstFailure(observed.stackId);
        return found?.replace(/^(\w+) \(([\w:]+)\): .*(currently in use).*$/, '$1 ($2): $3') ?? null;
      });
      return {
        taken: taken.outcome,
        outcome,
        statuses: 'value' in watched ? watched.value.statuses : watched,
        firstFailure: failure,
      };
    },
  },
  {
    name: 'cfn-stack-resources-and-rule-tags',
    service: 'CloudFormation',
    calls: [
      'CreateStack (silo-services template)',
      'DescribeStackEvents (every resource)',
      "DescribeTags (the stack's rule)",
    ],
    async run(world) {
      const stack = plannedStack(world, 'diff-resources', 'advanced', 79);
      await createStack(stack, stackContext(world, 'resources'));
      await watchStack(stack.stackName);
      const observed = await describeStack(stack.stackName);
      const stackId = observed?.stackId ?? stack.stackName;
      const events = await cloudFormationClient().send(new DescribeStackEventsCommand({ StackName: stackId }));
      // Which resources the template's conditions leave in, and of what type (the order of creation may differ).
      const created = (events.StackEvents ?? [])
        .filter(
          (event) => event.ResourceStatus === 'CREATE_COMPLETE' && event.ResourceType !== 'AWS::CloudFormation::Stack',
        )
        .map((event) => `${event.LogicalResourceId} ${event.ResourceType}`)
        .sort();
      const ruleArn = observed?.outputs.ListenerRuleArn;
      const tags = ruleArn === undefined ? undefined : await ruleTags(ruleArn);
      return {
        created,
        statusReason: observed?.statusReason ?? null,
        stackTags: observed?.tags ?? null,
        ruleTags: tags ?? null,
      };
    },
  },
];
