/**
 * The CloudFormation and ECS events that end a waiting step (functions/resume-wait): the CDK rules
 * on the default bus (where AWS services put their events) and the local bus use these patterns,
 * and the resumer reads the events with these schemas, so the three cannot drift apart.
 * - CloudFormation: `CloudFormation Stack Status Change`, `detail.stack-id`,
 *   `detail.status-details.status`. https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudformation.html
 * - ECS: `ECS Service Action` (SERVICE_STEADY_STATE) and `ECS Deployment State Change`
 *   (SERVICE_DEPLOYMENT_COMPLETED, and SERVICE_DEPLOYMENT_FAILED, sent only with the deployment
 *   circuit breaker on); the service ARN is in `resources`.
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
 * Both are delivered durably: at least once, possibly duplicated and out of order. A waiting step
 * therefore never trusts an event's status: the event only makes the resumer look.
 */
import * as z from 'zod';

/** Stack statuses at which no operation is under way: the ones that can end a wait. */
export const stackRestStatuses = [
  'CREATE_COMPLETE',
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'DELETE_COMPLETE',
  'DELETE_FAILED',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
] as const;

/** ECS event names that can end a services wait. */
export const serviceSettledEventNames = [
  'SERVICE_STEADY_STATE',
  'SERVICE_DEPLOYMENT_COMPLETED',
  'SERVICE_DEPLOYMENT_FAILED',
] as const;

export const stackStatusDetailType = 'CloudFormation Stack Status Change';
export const serviceActionDetailType = 'ECS Service Action';
export const deploymentStateDetailType = 'ECS Deployment State Change';

/**
 * Pattern for the tenant stacks' status changes: stack ARNs that start with
 * `arn:<partition>:cloudformation:<region>:<account>:stack/<stackNamePrefix>-`.
 */
export function stackStatusEventPattern(stackArnPrefix: string) {
  return {
    source: ['aws.cloudformation'],
    'detail-type': [stackStatusDetailType],
    resources: [{ prefix: stackArnPrefix }],
    detail: { 'status-details': { status: [...stackRestStatuses] } },
  };
}

/** Pattern for the services' settled events (any cluster: a service is matched to a wait by its name). */
export function serviceSettledEventPattern() {
  return {
    source: ['aws.ecs'],
    'detail-type': [serviceActionDetailType, deploymentStateDetailType],
    detail: { eventName: [...serviceSettledEventNames] },
  };
}

/** Events are at most 256 KB; the resumer reads only a few short fields. */
const arn = z.string().min(1).max(2048);

const StackStatusEventSchema = z.object({
  source: z.literal('aws.cloudformation'),
  'detail-type': z.literal(stackStatusDetailType),
  detail: z.object({
    'stack-id': arn,
    'status-details': z.object({ status: z.string().max(64) }),
  }),
});

const ServiceEventSchema = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.enum([serviceActionDetailType, deploymentStateDetailType]),
  resources: z.array(arn).min(1).max(20),
  detail: z.object({ eventName: z.string().max(128) }),
});

/** What an event says changed. */
export type SettledResource =
  | { readonly kind: 'stack'; readonly stackName: string; readonly status: string }
  | {
      readonly kind: 'service';
      readonly clusterName: string;
      readonly serviceName: string;
      readonly eventName: string;
    };

/**
 * The stack or service an event is about, or undefined for an event the resumer does not act on.
 * A stack ARN is `arn:...:stack/<name>/<id>`; a service ARN (long format) `arn:...:service/<cluster>/<service>`.
 */
export function settledResourceOf(event: unknown): SettledResource | undefined {
  const stack = StackStatusEventSchema.safeParse(event);
  if (stack.success) {
    const name = resourcePath(stack.data.detail['stack-id'], 'stack')?.[0];
    return name === undefined
      ? undefined
      : { kind: 'stack', stackName: name, status: stack.data.detail['status-details'].status };
  }
  const service = ServiceEventSchema.safeParse(event);
  if (service.success) {
    const path = resourcePath(service.data.resources[0] ?? '', 'service');
    if (path === undefined || path.length !== 2) return undefined;
    const [clusterName, serviceName] = path as [string, string];
    return { kind: 'service', clusterName, serviceName, eventName: service.data.detail.eventName };
  }
  return undefined;
}

/** The parts after `<type>/` of an ARN's resource, or undefined when the ARN is not of that type. */
function resourcePath(resourceArn: string, type: string): string[] | undefined {
  const resource = resourceArn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  if (parts[0] !== type || parts.length < 2) return undefined;
  return parts.slice(1).filter((part) => part !== '');
}
