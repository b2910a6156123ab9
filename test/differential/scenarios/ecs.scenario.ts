/**
 * ECS: the service check's DescribeServices through functions/shared/aws/services.ts, for missing
 * services (in batches of ten), a missing cluster, and the services a tenant stack creates, over
 * time and after the stack is deleted.
 */
import { describeServices, type ServiceState } from '../../../functions/shared/aws/services.ts';
import { createStack, deleteStack, describeStack } from '../../../functions/shared/aws/stacks.ts';
import { type Scenario, settle } from '../scenario.ts';
import { observeUntil } from '../world.ts';
import { plannedStack, stackContext, watchStack } from './stack-plan.ts';

const missingNames = Array.from({ length: 12 }, (_, index) => `diff-missing-${index}`);

function settled(services: readonly ServiceState[]): boolean {
  return services.every(
    (service) => service.found && service.runningCount === service.desiredCount && service.rolloutState === 'COMPLETED',
  );
}

export const ecsScenarios: readonly Scenario[] = [
  {
    name: 'ecs-missing-services-in-batches',
    service: 'ECS',
    calls: ['DescribeServices (12 missing services: 2 calls)'],
    async run(world) {
      return describeServices(world.sharedCluster, missingNames);
    },
  },
  {
    name: 'ecs-missing-cluster',
    service: 'ECS',
    calls: ['DescribeServices (unknown cluster)'],
    async run() {
      return settle(() => describeServices('diff-no-such-cluster', ['web']));
    },
  },
  {
    name: 'ecs-services-of-a-stack',
    service: 'ECS',
    calls: ['CreateStack (silo-services)', 'DescribeServices (found and missing, over time)', 'DeleteStack'],
    async run(world) {
      const stack = plannedStack(world, 'diff-ecs', 'advanced', 60);
      await createStack(stack, stackContext(world, 'ecs'));
      const created = await watchStack(stack.stackName);
      const observed = await describeStack(stack.stackName);
      const names = (observed?.outputs.ServiceNames ?? '').split(',').filter((name) => name !== '');
      const cluster = observed?.outputs.ClusterName ?? world.sharedCluster;
      const asked = [...names, ...missingNames.slice(0, 10)];
      const over = await observeUntil(
        async () => (await describeServices(cluster, asked)).slice(0, names.length),
        settled,
        { deadlineMs: 20_000, intervalMs: 150 },
      );
      const all = await describeServices(cluster, asked);
      await deleteStack(stack.stackName, stackContext(world, 'ecs'));
      const deleted = await watchStack(stack.stackName);
      const afterDelete = await describeServices(cluster, names);
      return {
        stack: created.final,
        serviceCount: names.length,
        clusterIsShared: cluster === world.sharedCluster,
        settledInTime: !over.timedOut,
        firstLook: over.seen[0]?.map(({ status, found, rolloutState }) => ({ status, found, rolloutState })),
        services: all,
        deleted: deleted.final,
        afterDelete: afterDelete.map(({ status, found }) => ({ status, found })),
      };
    },
  },
];
