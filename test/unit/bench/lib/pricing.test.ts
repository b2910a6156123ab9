import { describe, expect, it } from 'vitest';
import { orchestratorFunctionMemoryMb } from '../../../../infra/constructs/orchestrator-function.ts';
import { codeBuildCost, lambdaGbSeconds, lambdaMemoryMb, prices, workflowCost } from '../../../../bench/lib/pricing.ts';

describe('prices', () => {
  it('are the published us-east-1 list prices the cost model was written against', () => {
    expect(prices.stepFunctionsTransition.dollars * 1000).toBeCloseTo(0.025, 12);
    expect(prices.lambdaRequest.dollars * 1e6).toBeCloseTo(0.2, 12);
    expect(prices.lambdaArmGbSecond.dollars).toBe(0.0000133334);
    expect(prices.dynamoDbWriteUnit.dollars * 1e6).toBeCloseTo(0.625, 12);
    expect(prices.dynamoDbReadUnit.dollars * 1e6).toBeCloseTo(0.125, 12);
    expect(prices.eventBridgeCustomEvent.dollars * 1e6).toBeCloseTo(1, 12);
  });

  it('each name a source page', () => {
    for (const price of Object.values(prices)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });
});

describe('lambdaGbSeconds', () => {
  it('rounds each invocation up to the millisecond and scales by memory', () => {
    // 100.2 ms bills as 101 ms, 0.3 ms as 1 ms: 0.102 s at 0.25 GB.
    expect(lambdaGbSeconds([100.2, 0.3], 256)).toBeCloseTo(0.0255, 12);
  });
});

describe('workflowCost', () => {
  it('adds up each billed line at list price', () => {
    const cost = workflowCost(
      {
        stateTransitions: 40,
        lambdaInvocations: 10,
        lambdaDurationsMs: [1000],
        readRequestUnits: 4,
        writeRequestUnits: 8,
        events: 2,
      },
      { logBytes: 1024 ** 3, traces: 2 },
    );

    expect(cost.stepFunctions).toBeCloseTo(0.001, 12);
    expect(cost.lambdaRequests).toBeCloseTo(0.000002, 12);
    expect(cost.lambdaDuration).toBeCloseTo(0.25 * 0.0000133334, 12);
    expect(cost.dynamoDb).toBeCloseTo(8 * 0.625e-6 + 4 * 0.125e-6, 12);
    expect(cost.eventBridge).toBeCloseTo(0.000002, 12);
    expect(cost.logs).toBeCloseTo(0.5, 12);
    expect(cost.traces).toBeCloseTo(0.00001, 12);
    expect(cost.requests).toBeCloseTo(
      cost.stepFunctions + cost.lambdaRequests + cost.lambdaDuration + cost.dynamoDb + cost.eventBridge,
      12,
    );
    expect(cost.total).toBeCloseTo(cost.requests + 0.5 + 0.00001, 12);
  });

  it('charges no logs or traces when none are given', () => {
    const cost = workflowCost({
      stateTransitions: 1,
      lambdaInvocations: 0,
      lambdaDurationsMs: [],
      readRequestUnits: 0,
      writeRequestUnits: 0,
      events: 0,
    });

    expect(cost.total).toBe(cost.requests);
  });
});

describe('codeBuildCost', () => {
  it('bills whole minutes, rounded up', () => {
    expect(codeBuildCost(61, 0.005)).toBeCloseTo(0.01, 12);
    expect(codeBuildCost(60, 0.005)).toBeCloseTo(0.005, 12);
  });
});

describe('lambdaMemoryMb', () => {
  it("is the CDK construct's memory, so a change there reprices Lambda duration", () => {
    expect(lambdaMemoryMb).toBe(orchestratorFunctionMemoryMb);
  });
});
