import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ErrorName, transientErrorNames } from '../../functions/shared/step/errors.ts';
import { workflowFunctions } from '../../functions/lambda-functions.ts';
import {
  loadDefinition,
  readDefinitionText,
  type AslDefinition,
  type WorkflowName,
} from '../../local/workflow-runner.ts';

const workflows: WorkflowName[] = ['onboarding', 'offboarding'];

/** Names AWS itself raises for Lambda tasks (service faults, timeouts); everything else must be ours. */
const awsErrorNames = new Set([
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
]);

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
}

function tasks(definition: AslDefinition) {
  return Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
}

describe.each(workflows)('%s definition', (workflow) => {
  const definition = loadDefinition(workflow);

  it('is valid ASL once placeholders are substituted', () => {
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses only placeholders the orchestrator provides, and substitution leaves none', () => {
    const placeholders = [...readDefinitionText(workflow).matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]);

    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) expect(Object.keys(workflowFunctions)).toContain(name);
    expect(JSON.stringify(definition)).not.toMatch(/\$\{/);
  });

  it('matches only error names the code throws or AWS raises', () => {
    const ours = new Set<string>(Object.values(ErrorName));
    for (const [stateName, state] of tasks(definition)) {
      for (const retrier of (state.Retry ?? []) as Retrier[]) {
        for (const name of retrier.ErrorEquals) {
          expect(ours.has(name) || awsErrorNames.has(name), `${stateName} retries unknown error ${name}`).toBe(true);
        }
      }
    }
  });

  it('retries only transient errors (and TenantBusy, which serializes operations), never a catch-all', () => {
    const retryable = new Set<string>([...transientErrorNames, ErrorName.TenantBusy, ...awsErrorNames]);
    for (const [stateName, state] of Object.entries(definition.States)) {
      for (const retrier of (state.Retry ?? []) as Retrier[]) {
        for (const name of retrier.ErrorEquals) {
          expect(name.startsWith('States.'), `${stateName} retries ${name}`).toBe(false);
          expect(retryable.has(name), `${stateName} retries terminal error ${name}`).toBe(true);
        }
      }
    }
  });

  it('catches exactly Superseded on every task, into the Succeed state named for it; any other failure fails the execution there', () => {
    expect(definition.States.Superseded?.Type).toBe('Succeed');
    for (const [stateName, state] of Object.entries(definition.States)) {
      const catchers = state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined;
      if (state.Type !== 'Task') {
        expect(catchers, `${stateName} must not catch`).toBeUndefined();
        continue;
      }
      // An Await state (a callback Task between two looks) also catches its own timeout: its fallback look.
      const isAwait = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName !== undefined;
      expect(catchers, `${stateName} catches`).toEqual([
        ...(isAwait ? [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: expect.any(String) }] : []),
        expect.objectContaining({ ErrorEquals: [ErrorName.Superseded], Next: 'Superseded' }),
      ]);
    }
  });

  it('passes every task its redrive count, which fences its writes by attempt', () => {
    for (const [stateName, state] of tasks(definition)) {
      const parameters = state.Parameters as Record<string, unknown> & { Payload?: Record<string, unknown> };
      // A callback Task passes it inside its Payload.
      expect((parameters.Payload ?? parameters)['redriveCount.$'], stateName).toBe('$$.Execution.RedriveCount');
    }
  });

  it('retries transient AWS errors on every task, with a bound', () => {
    for (const [stateName, state] of tasks(definition)) {
      const retriers = (state.Retry ?? []) as Retrier[];
      const transient = retriers.find((retrier) => retrier.ErrorEquals.includes(ErrorName.TransientAwsError));
      expect(transient, `${stateName} has no transient retry`).toBeDefined();
      for (const retrier of retriers) expect(retrier.MaxAttempts ?? 3).toBeLessThanOrEqual(30);
    }
  });

  it('has a bounded execution time and every state reachable', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
    const reachable = new Set<string>();
    const visit = (name: string) => {
      if (reachable.has(name)) return;
      reachable.add(name);
      const state = definition.States[name] as Record<string, unknown>;
      const next = [
        state.Next,
        state.Default,
        ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
        ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ];
      for (const target of next) if (typeof target === 'string') visit(target);
    };
    visit(definition.StartAt);

    expect([...reachable].sort()).toEqual(Object.keys(definition.States).sort());
  });
});
