/**
 * DescribeStackEvents pages shaped like CloudFormation's (newest first) for a tenant stack
 * whose ECS service failed to create and rolled back, and for a later failed delete.
 */
import type { StackEvent } from '@aws-sdk/client-cloudformation';

export const stackName = 'tenant-2f1c9d3e';
export const stackId = `arn:aws:cloudformation:us-east-1:111122223333:stack/${stackName}/5b9e0a10-c6a1-11f0-8de9-0a1b2c3d4e5f`;

let sequence = 0;

/** One event; the stack's own events use the stack name as logical id. */
export function stackEvent(
  logicalId: string,
  resourceType: string,
  status: string,
  reason?: string,
  minute = 0,
): StackEvent {
  sequence += 1;
  const own = logicalId === stackName;
  return {
    StackId: stackId,
    EventId: own ? `${sequence}-${status}` : `${logicalId}-${status}-${sequence}`,
    StackName: stackName,
    LogicalResourceId: logicalId,
    PhysicalResourceId: own ? stackId : `${logicalId.toLowerCase()}-physical`,
    ResourceType: resourceType,
    Timestamp: new Date(Date.UTC(2026, 10, 20, 10, minute)),
    ResourceStatus: status as StackEvent['ResourceStatus'],
    ...(reason !== undefined ? { ResourceStatusReason: reason } : {}),
  };
}

const self = 'AWS::CloudFormation::Stack';
export const serviceFailure =
  'Resource handler returned message: "Invalid request provided: CreateService error: The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t-2f1c9d3e/73e2 does not have an associated load balancer." (RequestToken: 1f3c, HandlerErrorCode: InvalidRequest)';

/** A create that failed at WebService and rolled back, newest first (20 events). */
export function rolledBackCreate(): StackEvent[] {
  return [
    stackEvent(stackName, self, 'ROLLBACK_COMPLETE', undefined, 19),
    stackEvent('TaskRole', 'AWS::IAM::Role', 'DELETE_COMPLETE', undefined, 18),
    stackEvent('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'DELETE_COMPLETE', undefined, 18),
    stackEvent('LogGroup', 'AWS::Logs::LogGroup', 'DELETE_COMPLETE', undefined, 18),
    stackEvent('WebService', 'AWS::ECS::Service', 'DELETE_COMPLETE', undefined, 17),
    stackEvent('TaskRole', 'AWS::IAM::Role', 'DELETE_IN_PROGRESS', undefined, 17),
    stackEvent('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'DELETE_IN_PROGRESS', undefined, 17),
    stackEvent('LogGroup', 'AWS::Logs::LogGroup', 'DELETE_IN_PROGRESS', undefined, 17),
    stackEvent('WebService', 'AWS::ECS::Service', 'DELETE_IN_PROGRESS', undefined, 16),
    stackEvent(
      stackName,
      self,
      'ROLLBACK_IN_PROGRESS',
      'The following resource(s) failed to create: [WebService, ListenerRule]. Rollback requested by user.',
      16,
    ),
    stackEvent(
      'ListenerRule',
      'AWS::ElasticLoadBalancingV2::ListenerRule',
      'CREATE_FAILED',
      'Resource creation cancelled',
      15,
    ),
    stackEvent('WebService', 'AWS::ECS::Service', 'CREATE_FAILED', serviceFailure, 15),
    stackEvent('ListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'CREATE_IN_PROGRESS', undefined, 4),
    stackEvent('WebService', 'AWS::ECS::Service', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', 3),
    stackEvent('TaskRole', 'AWS::IAM::Role', 'CREATE_COMPLETE', undefined, 2),
    stackEvent('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'CREATE_COMPLETE', undefined, 2),
    stackEvent('LogGroup', 'AWS::Logs::LogGroup', 'CREATE_COMPLETE', undefined, 1),
    stackEvent('TaskRole', 'AWS::IAM::Role', 'CREATE_IN_PROGRESS', undefined, 1),
    stackEvent('LogGroup', 'AWS::Logs::LogGroup', 'CREATE_IN_PROGRESS', undefined, 0),
    stackEvent(stackName, self, 'CREATE_IN_PROGRESS', 'User Initiated', 0),
  ];
}

/**
 * A delete of that rolled-back stack that failed on a security group, newest first; with
 * `deleteToken`, every event of the delete carries it as ClientRequestToken (as CloudFormation's do).
 */
export function failedDeleteAfterRollback(deleteToken?: string): StackEvent[] {
  const deletion = [
    stackEvent(
      stackName,
      self,
      'DELETE_FAILED',
      'The following resource(s) failed to delete: [ServiceSecurityGroup].',
      40,
    ),
    stackEvent(
      'ServiceSecurityGroup',
      'AWS::EC2::SecurityGroup',
      'DELETE_FAILED',
      'resource sg-0abc has a dependent object (Service: Ec2, Status Code: 400)',
      39,
    ),
    stackEvent('ServiceSecurityGroup', 'AWS::EC2::SecurityGroup', 'DELETE_IN_PROGRESS', undefined, 30),
    stackEvent(stackName, self, 'DELETE_IN_PROGRESS', 'User Initiated', 30),
  ];
  return [
    ...deletion.map((event) => (deleteToken !== undefined ? { ...event, ClientRequestToken: deleteToken } : event)),
    ...rolledBackCreate(),
  ];
}
