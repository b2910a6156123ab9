/**
 * The tenant's listener rule on the shared load balancer. It lives in the tenant's stack because
 * ECS refuses to create a service whose target group no load balancer uses: the rule must exist
 * before the routed service, so the stack creates it in between. The orchestrator has already
 * claimed the priority (unique per listener) and passes it in with the rest of the route.
 */
import { Fn, type CfnCondition } from 'aws-cdk-lib';
import { CfnListenerRule, type CfnTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { suspendedResponse } from '../../functions/shared/config/template-parameters.ts';
import type { RouteParameters } from './tenant-parameters.ts';

/** Properties of {@link createTenantListenerRule}. */
export interface TenantListenerRuleProps {
  /** The route parameters and the IsHostRoute condition. */
  readonly route: RouteParameters;
  /** The routed service's target group (slot 0). */
  readonly targetGroup: CfnTargetGroup;
  /** Holds when the tenant is suspended: the rule then answers a fixed response instead of forwarding. */
  readonly suspended: CfnCondition;
}

/**
 * A rule on ListenerArn at RulePriority forwarding to the target group (or, while the tenant is
 * suspended, answering a fixed 503 response), matching the tenant's host name or its header value
 * depending on RouteStyle. A rule's actions and conditions can be edited at any time (ModifyRule),
 * so suspending and resuming is meant to update this rule in place, keeping its priority and ARN
 * (that CloudFormation updates Actions without replacement is UNCONFIRMED here: check the update
 * behaviour in the resource's template reference). ELB: "Rule updates do not take effect
 * immediately, so requests could be routed using the previous rule configuration for a short
 * time" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-rule.html).
 */
export function createTenantListenerRule(
  scope: Construct,
  id: string,
  props: TenantListenerRuleProps,
): CfnListenerRule {
  const { route } = props;
  const routeValue = route.routeValue.valueAsString;
  // Inside Fn::If the L1 does not translate property names, so these are CloudFormation's own.
  const hostCondition = [{ Field: 'host-header', HostHeaderConfig: { Values: [routeValue] } }];
  const headerCondition = [
    {
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: route.routeHeaderName.valueAsString, Values: [routeValue] },
    },
  ];
  return new CfnListenerRule(scope, id, {
    listenerArn: route.listenerArn.valueAsString,
    priority: route.rulePriority.valueAsNumber,
    conditions: Fn.conditionIf(route.isHostRoute.logicalId, hostCondition, headerCondition),
    actions: Fn.conditionIf(
      props.suspended.logicalId,
      [
        {
          Type: 'fixed-response',
          FixedResponseConfig: {
            StatusCode: suspendedResponse.statusCode,
            ContentType: suspendedResponse.contentType,
            MessageBody: suspendedResponse.messageBody,
          },
        },
      ],
      [{ Type: 'forward', TargetGroupArn: props.targetGroup.ref }],
    ),
  });
}
