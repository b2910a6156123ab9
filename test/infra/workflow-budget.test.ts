import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { loadOrchestratorConfig, projectRoot } from '../../infra/config.ts';
import { workflowFunctionTimeoutSeconds } from '../../infra/constructs/orchestrator-function.ts';
import { workflowDefinitionFiles } from '../../infra/constructs/workflows.ts';
import {
  checkWorkflowBudgets,
  loopToDeadline,
  retrierDelaySeconds,
  workflowBudget,
  type AslDefinition,
  type WorkflowDeadlines,
} from '../../infra/workflow-budget.ts';
import { nagApp } from './nag.ts';
import type { Json } from './template-json.ts';

const definition = (file: string) =>
  JSON.parse(readFileSync(resolve(projectRoot, file), 'utf8')) as AslDefinition & Json;
const defaults = loadOrchestratorConfig({
  eventBusName: 'bus',
  tenantDomain: 'tenants.example.com',
  sharedInfrastructure: {
    mode: 'existing',
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    privateSubnetIds: ['subnet-0a1b2c3d4e5f67890'],
    listenerArn:
      'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2',
    loadBalancerSecurityGroupId: 'sg-0a1b2c3d4e5f67890',
    sharedClusterName: 'shared-tenants',
    pooledTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067',
  },
});
const deadlines: WorkflowDeadlines = {
  stackTimeoutSeconds: defaults.stackTimeoutSeconds,
  servicesTimeoutSeconds: defaults.servicesTimeoutSeconds,
  stackQueueTimeoutSeconds: defaults.stackQueueTimeoutSeconds,
  functionTimeoutSeconds: workflowFunctionTimeoutSeconds,
};

describe('retry and loop arithmetic', () => {
  it('adds every retry interval, backed off and capped by MaxDelaySeconds', () => {
    expect(
      retrierDelaySeconds({
        ErrorEquals: ['X'],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
      }),
    ).toBe(2 + 4 + 8 + 16 + 32 + 60);
    // The ASL defaults: 1 s, 3 attempts, rate 2.
    expect(retrierDelaySeconds({ ErrorEquals: ['X'] })).toBe(1 + 2 + 4);
  });

  it('runs a loop until its waits reach the deadline, counting the last look', () => {
    expect(loopToDeadline(100, () => 30)).toEqual({ looks: 5, waitedSeconds: 120 });
    expect(loopToDeadline(90, () => 30)).toEqual({ looks: 4, waitedSeconds: 90 });
  });
});

describe('the execution budget of the shipped workflows', () => {
  it("fits the default settings inside each workflow's own TimeoutSeconds, read from its ASL file", () => {
    const budgets = checkWorkflowBudgets(projectRoot, workflowDefinitionFiles, deadlines);

    for (const budget of budgets) {
      expect(budget.executionTimeoutSeconds).toBe(definition(budget.file).TimeoutSeconds);
      expect(budget.worstCaseSeconds).toBeLessThan(budget.executionTimeoutSeconds);
    }
    const onboarding = budgets.find((budget) => budget.file === workflowDefinitionFiles.onboarding)!;
    expect(onboarding.items.map((item) => item.setting).filter(Boolean)).toEqual([
      'stackQueueTimeoutSeconds',
      'stackTimeoutSeconds',
      'servicesTimeoutSeconds',
    ]);
  });

  it('charges each Task state its attempts at the function timeout plus its retry intervals', () => {
    const asl = definition(workflowDefinitionFiles.onboarding);
    const budget = workflowBudget('onboarding', asl, deadlines);
    const accept = budget.items.find((item) => item.what.startsWith('AcceptOnboardingRequest:'))!;
    const retriers = (asl as Json).States.AcceptOnboardingRequest.Retry as Json[];
    const attempts = 1 + retriers.reduce((sum, retrier) => sum + retrier.MaxAttempts, 0);

    expect(accept.seconds).toBe(
      attempts * workflowFunctionTimeoutSeconds +
        retriers.reduce((sum, retrier) => sum + retrierDelaySeconds(retrier as never), 0),
    );
  });

  it('follows the ASL: a shorter TimeoutSeconds turns the same settings into an error naming them', () => {
    const asl = definition(workflowDefinitionFiles.onboarding);
    const budget = workflowBudget('onboarding', asl, deadlines);

    expect(
      workflowBudget('onboarding', { ...asl, TimeoutSeconds: budget.worstCaseSeconds + 1 }, deadlines).worstCaseSeconds,
    ).toBe(budget.worstCaseSeconds);
    expect(() => workflowBudget('onboarding', { ...asl, TimeoutSeconds: undefined }, deadlines)).toThrow(
      /no TimeoutSeconds/,
    );
  });
});

describe('synth', () => {
  it('fails, naming the settings and the execution timeout, when a stack timeout would let executions end TIMED_OUT', () => {
    const config = { ...defaults, stackTimeoutSeconds: 7200 };

    expect(() =>
      buildApp({
        app: nagApp({ 'aws:cdk:bundling-stacks': [] }),
        config,
        env: { account: '111122223333', region: 'eu-west-1' },
      }),
    ).toThrow(
      /stackQueueTimeoutSeconds, stackTimeoutSeconds, servicesTimeoutSeconds are too long for statemachines\/onboarding\.asl\.json: its executions time out after 14400 s \(TimeoutSeconds\)/,
    );
  });

  it('counts the queue deadline too', () => {
    const config = { ...defaults, stackQueueTimeoutSeconds: 3600 };

    expect(() =>
      buildApp({
        app: nagApp({ 'aws:cdk:bundling-stacks': [] }),
        config,
        env: { account: '111122223333', region: 'eu-west-1' },
      }),
    ).toThrow(/stackQueueTimeoutSeconds \(3600 s\)/);
  });
});
