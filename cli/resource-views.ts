/**
 * Rows of the simulated account's resources: stacks, listener rules, services. Pure.
 */
import type { CloudResources } from '../local/runtime/api.ts';
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
export const ruleHeaders = ['PRIORITY', 'TENANT', 'CONDITIONS', 'LISTENER', 'RULE'] as const;

/** The listener's name and id (`app/tenants/50dc…/f2f7…` -> `tenants/f2f7…`). */
function listenerText(listenerArn: string): string {
  const parts = listenerArn.split('/');
  return parts.length >= 4 ? `${parts[parts.length - 3]}/${parts[parts.length - 1]}` : listenerArn;
}

/** A listener rule's row; `tenant` is how to show its tenant (default: its id). */
export function ruleRow(rule: CloudResources['rules'][number], tenant = rule.tenantId ?? '-'): string[] {
  return [rule.priority, tenant, rule.conditions, listenerText(rule.listenerArn), arnTail(rule.ruleArn)];
}

/** Columns of the services table. */
export const serviceHeaders = ['CLUSTER', 'SERVICE', 'DESIRED', 'RUNNING'] as const;

/** A service's row. */
export function serviceRow(service: CloudResources['services'][number]): string[] {
  return [service.cluster, service.serviceName, String(service.desiredCount), String(service.runningCount)];
}
