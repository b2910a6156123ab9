/**
 * Rows of the simulated account's resources: stacks, listener rules, services. Pure.
 */
import type { CloudResources, RuleAction } from '../local/runtime/api.ts';
import { arnTail, type Painter } from './format.ts';
import { plain } from './views.ts';

/** Columns of the stacks table. */
export const stackHeaders = ['STACK', 'STATUS', 'TENANT', 'TIER'] as const;

function stackStatusColour(status: string): 'green' | 'red' | 'yellow' {
  if (status.includes('FAILED') || status.includes('ROLLBACK')) return 'red';
  return status.endsWith('_COMPLETE') ? 'green' : 'yellow';
}

/** A stack's row; `tenant` is how to show its tenant (default: the tenant id tag). */
export function stackRow(
  stack: CloudResources['stacks'][number],
  paint: Painter = plain,
  tenant = stack.tags.tenantId ?? '-',
): string[] {
  return [stack.stackName, paint(stackStatusColour(stack.status), stack.status), tenant, stack.tags.tier ?? '-'];
}

/** Columns of the listener rules table. */
export const ruleHeaders = ['PRIORITY', 'TENANT', 'CONDITIONS', 'ACTION', 'LISTENER', 'RULE'] as const;

/** A target group's name (`arn:...:targetgroup/acme-web/73e2d6bc24d8a067` -> `acme-web`). */
function targetGroupName(targetGroupArn: string): string {
  const [, path] = targetGroupArn.split(':targetgroup/');
  return path?.split('/')[0] ?? targetGroupArn;
}

/**
 * What a rule does with a matching request: `forward to acme-web`, `forward to a-web 80%, b-web 20%`
 * (weighted), or `fixed response 503 (application/json)`.
 */
export function actionText(action: RuleAction): string {
  if ('targetGroupArn' in action) return `forward to ${targetGroupName(action.targetGroupArn)}`;
  if ('targetGroups' in action) {
    const total = action.targetGroups.reduce((sum, group) => sum + (group.weight ?? 0), 0);
    const shares = action.targetGroups.map((group) => {
      const share = total > 0 ? ` ${Math.round(((group.weight ?? 0) / total) * 100)}%` : '';
      return `${targetGroupName(group.targetGroupArn)}${share}`;
    });
    return `forward to ${shares.join(', ')}`;
  }
  if ('statusCode' in action)
    return `fixed response ${action.statusCode}${action.contentType !== null ? ` (${action.contentType})` : ''}`;
  return action.type;
}

/** The listener's name and id (`app/tenants/50dc…/f2f7…` -> `tenants/f2f7…`). */
function listenerText(listenerArn: string): string {
  const parts = listenerArn.split('/');
  return parts.length >= 4 ? `${parts[parts.length - 3]}/${parts[parts.length - 1]}` : listenerArn;
}

/** A listener rule's row; `tenant` is how to show its tenant (default: its id). */
export function ruleRow(rule: CloudResources['rules'][number], tenant = rule.tenantId ?? '-'): string[] {
  return [
    rule.priority,
    tenant,
    rule.conditions,
    actionText(rule.action),
    listenerText(rule.listenerArn),
    arnTail(rule.ruleArn),
  ];
}

/** Columns of the services table. */
export const serviceHeaders = ['CLUSTER', 'SERVICE', 'DESIRED', 'RUNNING'] as const;

/** A service's row. */
export function serviceRow(service: CloudResources['services'][number]): string[] {
  return [service.cluster, service.serviceName, String(service.desiredCount), String(service.runningCount)];
}
