/**
 * The tenant's listener rule on the shared load balancer. It lives in the tenant's stack because
 * ECS refuses to create a service whose target group no load balancer uses: the rule must exist
 * before the routed service, so the stack creates it in between. The orchestrator has already
 * claimed the priority (unique per listener) and passes it in with the rest of the route.
 */
import { Fn } from 'aws-cdk-lib';
import { CfnListenerRule, type CfnTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { RouteParameters } from './tenant-parameters.ts';

/** Properties of {@link createTenantListenerRule}. */
export interface TenantListenerRuleProps {
  /** The route parameters and the IsHostRoute condition. */
  readonly route: RouteParameters;
  /** The routed service's target group (slot 0). */
  readonly targetGroup: CfnTargetGroup;
}

/**
 * A rule on ListenerArn at RulePriority forwarding to the target group, matching the tenant's
 * host name or its header value depending on RouteStyle.
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
    actions: [{ type: 'forward', targetGroupArn: props.targetGroup.ref }],
  });
}
