import { describe, expect, it } from 'vitest';
import {
  serviceSettledEventPattern,
  settledResourceOf,
  stackStatusEventPattern,
} from '../../../events/cloud-events.ts';
import { matchesPattern } from '../../../local/runtime/event-pattern.ts';

const prefix = 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenant-';
const stackId = `${prefix}acme/0d2e9a60-2b1c-11ef-9f1a-0a1b2c3d4e5f`;

function stackEvent(status: string, id = stackId) {
  return {
    source: 'aws.cloudformation',
    'detail-type': 'CloudFormation Stack Status Change',
    resources: [id],
    detail: { 'stack-id': id, 'status-details': { status, 'status-reason': '' } },
  };
}

describe('the resume rules’ patterns', () => {
  it('match tenant stacks coming to rest, not stacks under way nor other stacks', () => {
    const pattern = stackStatusEventPattern(prefix);
    expect(matchesPattern(pattern, stackEvent('CREATE_COMPLETE'))).toBe(true);
    expect(matchesPattern(pattern, stackEvent('UPDATE_ROLLBACK_FAILED'))).toBe(true);
    expect(matchesPattern(pattern, stackEvent('CREATE_IN_PROGRESS'))).toBe(false);
    const other = 'arn:aws:cloudformation:us-east-1:111122223333:stack/orchestrator/1';
    expect(matchesPattern(pattern, stackEvent('CREATE_COMPLETE', other))).toBe(false);
  });

  it('match ECS steady state and deployment outcomes only', () => {
    const pattern = serviceSettledEventPattern();
    const event = (detailType: string, eventName: string) => ({
      source: 'aws.ecs',
      'detail-type': detailType,
      resources: ['arn:aws:ecs:us-east-1:111122223333:service/shared/tenant-acme-web'],
      detail: { eventName },
    });
    expect(matchesPattern(pattern, event('ECS Service Action', 'SERVICE_STEADY_STATE'))).toBe(true);
    expect(matchesPattern(pattern, event('ECS Deployment State Change', 'SERVICE_DEPLOYMENT_FAILED'))).toBe(true);
    expect(matchesPattern(pattern, event('ECS Service Action', 'SERVICE_DESIRED_COUNT_UPDATED'))).toBe(false);
  });
});

describe('settledResourceOf', () => {
  it('reads the stack name from the stack id, and cluster and service from a long-format service ARN', () => {
    expect(settledResourceOf(stackEvent('DELETE_COMPLETE'))).toEqual({
      kind: 'stack',
      stackName: 'tenant-acme',
      status: 'DELETE_COMPLETE',
    });
    expect(
      settledResourceOf({
        source: 'aws.ecs',
        'detail-type': 'ECS Service Action',
        resources: ['arn:aws:ecs:us-east-1:111122223333:service/shared/tenant-acme-web'],
        detail: { eventName: 'SERVICE_STEADY_STATE' },
      }),
    ).toEqual({
      kind: 'service',
      clusterName: 'shared',
      serviceName: 'tenant-acme-web',
      eventName: 'SERVICE_STEADY_STATE',
    });
  });

  it('reads nothing from a short-format service ARN, another resource type or a malformed event', () => {
    const ecs = (arn: string) => ({
      source: 'aws.ecs',
      'detail-type': 'ECS Service Action',
      resources: [arn],
      detail: { eventName: 'SERVICE_STEADY_STATE' },
    });
    expect(settledResourceOf(ecs('arn:aws:ecs:us-east-1:111122223333:service/tenant-acme-web'))).toBeUndefined();
    expect(settledResourceOf(ecs('arn:aws:ecs:us-east-1:111122223333:task/shared/abc'))).toBeUndefined();
    expect(settledResourceOf(stackEvent('CREATE_COMPLETE', 'not-an-arn'))).toBeUndefined();
    expect(settledResourceOf({ source: 'aws.cloudformation', detail: 'x'.repeat(10) })).toBeUndefined();
    expect(settledResourceOf(null)).toBeUndefined();
  });
});
