/**
 * Step Functions: what the failure reporter and the sweep read (DescribeExecution,
 * GetExecutionHistory, ListExecutions) and the admission function's StartExecution, through
 * functions/shared/aws/executions.ts.
 */
import {
  describeExecution,
  lastEnteredState,
  listExecutionsStoppedSince,
  startExecution,
} from '../../../functions/shared/aws/executions.ts';
import { type Scenario, settle } from '../scenario.ts';
import { executionArnOf } from '../world.ts';

export const stepFunctionsScenarios: readonly Scenario[] = [
  {
    name: 'sfn-missing-execution',
    service: 'StepFunctions',
    calls: ['DescribeExecution (unknown)', 'GetExecutionHistory (unknown)'],
    async run(world) {
      const arn = executionArnOf(world, 'diff-never-started');
      return {
        described: await settle(async () => (await describeExecution(arn)) ?? null),
        lastState: await settle(async () => (await lastEnteredState(arn)) ?? null),
      };
    },
  },
  {
    name: 'sfn-list-stopped-executions',
    service: 'StepFunctions',
    calls: ['ListExecutions (statusFilter, pages)'],
    async run(world) {
      const listed = [];
      for await (const item of listExecutionsStoppedSince(world.stateMachineArn, 'TIMED_OUT', 0)) listed.push(item);
      return { timedOut: listed };
    },
  },
  {
    name: 'sfn-list-unknown-state-machine',
    service: 'StepFunctions',
    calls: ['ListExecutions (unknown state machine)'],
    async run(world) {
      const unknown = world.stateMachineArn.replace(/:stateMachine:.*$/, ':stateMachine:diff-no-such-machine');
      return settle(async () => {
        const listed = [];
        for await (const item of listExecutionsStoppedSince(unknown, 'FAILED', 0)) listed.push(item);
        return listed;
      });
    },
  },
  {
    name: 'sfn-start-execution-names',
    service: 'StepFunctions',
    calls: ['StartExecution', 'StartExecution (name taken, other input)', 'StartExecution (invalid name)'],
    async run(world) {
      const start = (name: string, input: string) =>
        settle(() => startExecution({ stateMachineArn: world.stateMachineArn, name, input }));
      const first = await start('diff-start-1', '{"n":1}');
      const again = await start('diff-start-1', '{"n":2}');
      const invalid = await start('diff start with spaces', '{}');
      const sameArn =
        'value' in first && 'value' in again ? first.value.executionArn === again.value.executionArn : null;
      const described = 'value' in first ? await describeExecution(first.value.executionArn) : undefined;
      return {
        first,
        again,
        sameArn,
        invalid,
        described:
          described === undefined
            ? null
            : {
                input: described.input,
                hasStartDate: described.startDate !== undefined,
                redriveCount: described.redriveCount ?? null,
              },
      };
    },
  },
];
