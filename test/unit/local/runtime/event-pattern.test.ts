import { describe, expect, it } from 'vitest';
import { defaultContractConfig, requestEventPattern } from '../../../../events/contract.ts';
import { failedExecutionEventPattern } from '../../../../events/execution-status.ts';
import { readSample } from '../../../../events/samples.ts';
import { matchesPattern } from '../../../../local/runtime/event-pattern.ts';

const contract = { ...defaultContractConfig, eventBusName: 'saas-bus' };

describe('matchesPattern', () => {
  it('matches when every named field holds one of the listed values', () => {
    const pattern = { source: ['a', 'b'], 'detail-type': ['x'] };

    expect(matchesPattern(pattern, { source: 'b', 'detail-type': 'x', extra: 1 })).toBe(true);
    expect(matchesPattern(pattern, { source: 'c', 'detail-type': 'x' })).toBe(false);
    expect(matchesPattern(pattern, { source: 'a' })).toBe(false);
  });

  it('compares values exactly, types included', () => {
    expect(matchesPattern({ count: [5] }, { count: '5' })).toBe(false);
    expect(matchesPattern({ count: [5] }, { count: 5 })).toBe(true);
    expect(matchesPattern({ flag: [null] }, { flag: null })).toBe(true);
    expect(matchesPattern({ flag: [null] }, {})).toBe(false);
  });

  it('descends into nested objects', () => {
    const pattern = { detail: { status: ['FAILED'], machine: { name: ['m'] } } };

    expect(matchesPattern(pattern, { detail: { status: 'FAILED', machine: { name: 'm' } } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { status: 'FAILED', machine: { name: 'n' } } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { status: 'FAILED', machine: 'm' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: 'FAILED' })).toBe(false);
  });

  it('matches an array in the event when any element is allowed', () => {
    expect(matchesPattern({ resources: ['r2'] }, { resources: ['r1', 'r2'] })).toBe(true);
    expect(matchesPattern({ resources: ['r3'] }, { resources: ['r1', 'r2'] })).toBe(false);
  });

  it('matches nothing that is not an object', () => {
    expect(matchesPattern({ source: ['a'] }, 'a')).toBe(false);
    expect(matchesPattern({ source: ['a'] }, null)).toBe(false);
    expect(matchesPattern({ source: ['a'] }, [{ source: 'a' }])).toBe(false);
  });

  it('refuses content filters it does not implement instead of mismatching', () => {
    expect(() => matchesPattern({ source: [{ 'anything-but': 'sbt.' }] }, { source: 'sbt.x' })).toThrow(
      /content filter/,
    );
    expect(() => matchesPattern({ source: [{ prefix: 'sbt.', suffix: '.x' }] }, { source: 'sbt.x' })).toThrow(
      /content filter/,
    );
  });

  it('matches a prefix filter on string values, case-sensitively, beside exact values', () => {
    const pattern = { resources: [{ prefix: 'arn:aws:cloudformation:' }, 'exact'] };
    expect(matchesPattern(pattern, { resources: ['arn:aws:cloudformation:us-east-1:1:stack/a/b'] })).toBe(true);
    expect(matchesPattern(pattern, { resources: ['exact'] })).toBe(true);
    expect(matchesPattern(pattern, { resources: ['ARN:aws:cloudformation:'] })).toBe(false);
    expect(matchesPattern(pattern, { resources: [42] })).toBe(false);
  });

  it('routes the sample requests with the contract patterns, and nothing else', () => {
    const onboarding = requestEventPattern(contract, 'onboarding');
    const offboarding = requestEventPattern(contract, 'offboarding');

    expect(matchesPattern(onboarding, readSample('onboarding-basic'))).toBe(true);
    expect(matchesPattern(onboarding, readSample('onboarding-legacy-detail-type'))).toBe(true);
    expect(matchesPattern(offboarding, readSample('onboarding-basic'))).toBe(false);
    expect(matchesPattern(offboarding, readSample('offboarding-premium'))).toBe(true);
    expect(matchesPattern(onboarding, { ...readSample('onboarding-basic'), source: 'sbt.application.plane' })).toBe(
      false,
    );
  });

  it('selects failed executions of our state machines only', () => {
    const pattern = failedExecutionEventPattern(['arn:ours']);
    const event = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'FAILED', stateMachineArn: 'arn:ours' },
    };

    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, status: 'SUCCEEDED' } })).toBe(false);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, stateMachineArn: 'arn:theirs' } })).toBe(
      false,
    );
  });
});
